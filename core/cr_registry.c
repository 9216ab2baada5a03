/* cr_registry.c — the composition root: every command, benchmark and
 * configuration-schema table of cusprate, in one list. Adding a stage means
 * adding its line here; nothing else in core/ knows about physics modules. */
#include "cr_cli.h"
#include "cr_common.h"

int cr_cmd_config(struct cr_cmd_ctx *ctx);
int cr_cmd_fly(struct cr_cmd_ctx *ctx);
int cr_bench_fly(struct cr_cmd_ctx *ctx);
extern const struct cr_key cr_flyby_keys[], cr_instrument_keys[];
static const char *const sec_fly[] = {"run", "flyby", "instrument", "particles", "liouville", "slices", NULL};

int cr_cmd_gradient(struct cr_cmd_ctx *ctx);
int cr_bench_gradient(struct cr_cmd_ctx *ctx);
extern const struct cr_key cr_gradient_keys[];
static const char *const sec_gradient[] = {"run", "gradient", NULL};

int cr_cmd_tetrahedron(struct cr_cmd_ctx *ctx);
extern const struct cr_key cr_tetrahedron_keys[];
static const char *const sec_tetrahedron[] = {"run", "tetrahedron", "particles", "liouville", "slices", NULL};

int cr_cmd_rate(struct cr_cmd_ctx *ctx);
extern const struct cr_key cr_rate_keys[];
static const char *const sec_rate[] = {"run", "rate", "slices", NULL};
int cr_cmd_report(struct cr_cmd_ctx *ctx);
extern const struct cr_key cr_report_keys[];
static const char *const sec_report[] = {"run", "report", "rate", NULL};
int cr_cmd_pipeline(struct cr_cmd_ctx *ctx);
extern const struct cr_key cr_pipeline_keys[];
static const char *const sec_pipeline[] = {"run", "pipeline", NULL};
static const char *const sec_all[] = {NULL};
int cr_cmd_pack(struct cr_cmd_ctx *ctx);
static const char *const sec_pack[] = {"run", NULL};
int cr_cmd_flux(struct cr_cmd_ctx *ctx);
int cr_bench_flux(struct cr_cmd_ctx *ctx);
extern const struct cr_key cr_flux_keys[];
static const char *const sec_flux[] = {"run", "flux", "slices", NULL};
int cr_cmd_grid(struct cr_cmd_ctx *ctx);
int cr_bench_grid(struct cr_cmd_ctx *ctx);
extern const struct cr_key cr_grid_keys[];
static const char *const sec_grid[] = {"run", "grid", NULL};
int cr_cmd_wind(struct cr_cmd_ctx *ctx);
int cr_bench_ionosphere(struct cr_cmd_ctx *ctx);
extern const struct cr_key cr_wind_keys[], cr_ionosphere_keys[], cr_conductance_keys[];
static const char *const sec_wind[] = {"run", "wind", NULL};
int cr_cmd_particles(struct cr_cmd_ctx *ctx);
int cr_bench_particles(struct cr_cmd_ctx *ctx);
extern const struct cr_key cr_particles_keys[], cr_liouville_keys[], cr_slices_keys[];
static const char *const sec_particles[] = {"run", "particles", "slices", NULL};
int cr_cmd_mhd(struct cr_cmd_ctx *ctx);
int cr_bench_mhd(struct cr_cmd_ctx *ctx);
extern const struct cr_key cr_mhd_keys[], cr_problem_keys[];
extern const struct cr_key cr_msphere_keys[];
static const char *const sec_mhd[] = {"run", "grid", "mhd", "problem", "msphere", "wind", "ionosphere", NULL};

const struct cr_command cr_commands[] = {
    {"config", "FILE.ini", "print the fully resolved configuration with units and docs",
     "Loads FILE.ini and the overrides, validates every key and prints every key of every section with its "
     "value, unit, allowed range, origin and one-line documentation. Writes nothing.",
     sec_all, 1, cr_cmd_config, 0},
    {"grid", "FILE.ini", "build the [grid] grid, report it and write grid.h5 + grid.xmf",
     "Builds the grid of the [grid] section (Cartesian, warped, or the LFM-style spherical grid, presets D and Q), "
     "prints cell counts, the smallest and largest cell and the largest aspect ratio, and writes <run>/grid.h5 "
     "(corner arrays X, Y, Z [R_E], shape (Nk+1, Nj+1, Ni+1), and cell volumes dV [R_E^3], shape (Nk, Nj, Ni)) "
     "and <run>/grid.xmf for ParaView (see grids/README.md).",
     sec_grid, 1, cr_cmd_grid, 0},
    {"wind", "FILE.ini", "write an idealized solar-wind driver (GEM-2009 baseline, spin-up and ramps)",
     "Builds the driver of the [wind] section (steady n, V, T, B after a spin-up with IMF Bz = spinup_bz and a "
     "linear ramp; optional further Bz steps) and writes <run>/wind.txt (columns time[s] n[cm^-3] vx vy vz[km/s] "
     "T[K] bx by bz[nT]) and, with bcwind = yes, <run>/bcwind.h5 in the GAMERA layout (see magnetosphere/README.md).",
     sec_wind, 1, cr_cmd_wind, 0},
    {"mhd", "FILE.ini", "run an MHD problem (verification set-ups or the magnetosphere); write mhd.h5 + mhd.xmf",
     "Runs the [problem] set-up (Brio-Wu, Ryu-Jones 2a, shock tube, linear waves, Orszag-Tang, field loop, blast wave, "
     "uniform flow) with the constrained-transport solver of mhd/ ([mhd]: HLLD/HLLE, PLM/WENO-Z, VL2/RK2/RK3) and "
     "writes <run>/mhd.h5 (GAMERA/kaipy layout: corners X Y Z, dV, groups Step#N with D Vx Vy Vz P Bx By Bz Jx Jy Jz; "
     "the magnetosphere in physical units, R_E, #/cc, km/s, nPa, nT, nA/m^2, s, with UnitsID = EARTH and each step's "
     "MJD from [run] epoch; the verification problems in normalised code units, UnitsID = CODE), <run>/mhd.xmf for ParaView and, for 1-D problems, <run>/mhd_profile.csv (see mhd/README.md).",
     sec_mhd, 1, cr_cmd_mhd, 1},
    {"pack", "FILE.ini", "write <run>/mhd.gam.h5: mhd.h5 with every slice copied in (one self-contained file)",
     "Copies <run>/mhd.h5 with its HDF5 external links expanded (every Step#N of mhd_slices.K copied in) and its "
     "root attributes into <run>/mhd.gam.h5, GAMERA's serial file name: one file for tools that do not follow "
     "external links, e.g. kaipy's genXDMF (`genXDMF.py mhd.gam.h5`) and kaipy's GameraPipe (see docs/formats.md).",
     sec_pack, 1, cr_cmd_pack, 0},
    {"flux", "FILE.ini", "reconnected-flux accounting: opened/closed flux per MLT bin from field-line topology",
     "Traces field lines from an MLat x MLT footpoint grid on the inner boundary in every [flux] interval's two "
     "states (the MHD slices of <run>/mhd.h5, or an analytic dipole + uniform field), classifies them closed / open "
     "/ solar wind, and writes <run>/flux.nc: newly opened and closed flux per MLT bin and hemisphere [Wb], rates "
     "[kWb/min, kV], electric fields along the ionospheric boundary and the X-line [mV/m] with those lengths, open "
     "flux, boundary latitude and the topology maps (see reconnection/README.md).",
     sec_flux, 1, cr_cmd_flux, 1},
    {"particles", "FILE.ini", "trace magnetosheath protons into the cusp and collect them at a satellite altitude",
     "Injects protons in the dayside magnetosheath (found from <run>/mhd.h5, or a box/shell in an analytic field), "
     "10-100 eV in the plasma frame and weighted to a Maxwellian, traces them (relativistic Boris full orbit <-> "
     "guiding centre) through the time-interpolated fields, maps those crossing the collection sphere down the "
     "dipole to the satellite altitude and writes <run>/particles.h5 (see particles/README.md).",
     sec_particles, 1, cr_cmd_particles, 1},
    {"fly", "FLYBY.ini", "fly a virtual TRACERS/DMSP-like spacecraft through the cusp ions",
     "Reads an instrument (runs/instruments/<name>.ini and/or an inline [instrument] section) and either "
     "<run>/particles.h5 (flyby.method = forward: the collected protons are binned) or <run>/mhd.h5 (flyby.method = "
     "backward: every pixel is traced back to the magnetosheath, Liouville; [liouville] keys), and writes "
     "<run>/<flyby>.spectrogram.nc (a pair: also <flyby>.sc2.spectrogram.nc): count rate, differential energy and "
     "number flux per energy channel along the track with sampling errors and effective counts (see "
     "spacecraft/README.md).",
     sec_fly, 1, cr_cmd_fly, 0},
    {"gradient", "FILE.ini", "four-spacecraft gradient distributions and the pressure-divergence budget (Shuster et al. 2026)",
     "Reads the distributions of four spacecraft (or two: an along-track pair) at each time from gradient.input (netCDF "
     "layout vdf-1: f on energy x polar x azimuth bins as MMS FPI delivers them, or on a velocity grid; positions, B), "
     "regrids each onto one velocity grid in the field-aligned frame (v_par along B, v_perp1 along (-U x B) x B, "
     "v_perp2 along -U x B), and writes <run>/<name>.gradient.nc: grad f bin by bin (reciprocal vectors), the "
     "moments, grad n, div P and its split into T . grad n and n div T, div(m n U U), E_par, the velocity-space "
     "identities and the tetrahedron's shape; figures in <run>/<name>_figures (see multipoint/README.md).",
     sec_gradient, 1, cr_cmd_gradient, 0},
    {"tetrahedron", "FILE.ini", "a virtual MMS-like tetrahedron (or TRACERS-like pair) sampling ion distributions in the run",
     "Places four spacecraft (or two) with an FPI-like ion instrument (energy x polar x azimuth bins) at "
     "tetrahedron.centre with the given shape and separations, and finds the phase-space density of every bin by "
     "backward Liouville tracing through <run>/mhd.h5 ([particles], [liouville] keys; or the analytic crescent "
     "equilibrium, source = crescent). Writes <run>/<name>.vdf.nc in the layout `cusprate gradient` reads, with the "
     "MHD density, pressure and pressure gradient as reference_* variables (see multipoint/README.md).",
     sec_tetrahedron, 1, cr_cmd_tetrahedron, 0},
    {"rate", "FILE.ini", "Lockwood-Smith reconnection rate from the cusp ion dispersion of each spectrogram",
     "Reads every <run>/<flyby>.spectrogram.nc (or rate.spectrograms), finds the low-energy cutoff E_ic of each "
     "spectrum, and writes <run>/<flyby>.rate.nc: reconnection time t_o and the reconnection electric field at the "
     "satellite and at the magnetopause, Lockwood form and convection-corrected, with 1-sigma uncertainties (see "
     "reconnection/README.md).",
     sec_rate, 1, cr_cmd_rate, 0},
    {"report", "FILE.ini", "compare each flyby's estimated rate with the flux-accounting rate of its MLT sector",
     "Reads <run>/flux.nc and every <run>/<flyby>.rate.nc and writes <run>/report/: comparison.nc (the estimates at "
     "their reconnection times, the sector's flux-accounting rate, mean ratio, correlation, RMS difference), index.md "
     "and index.html, and PNG figures drawn by tools/report.py when Python 3 with matplotlib is available (see "
     "reconnection/README.md).",
     sec_report, 1, cr_cmd_report, 0},
    {"pipeline", "FILE.ini", "run mhd -> flux -> particles -> fly -> rate -> report, skipping up-to-date stages",
     "Runs every stage in order through the command table, each skipped when its outputs are newer than its inputs "
     "and the configuration it reads is unchanged ([pipeline] force = yes reruns all). The fly stage runs once per "
     "file in [pipeline] flybys with the run file's configuration under the flyby file's. A stage that must run but "
     "is not in this build is reported and stops the pipeline. Prints a summary and where the report is.",
     sec_pipeline, 1, cr_cmd_pipeline, 0},
};
const int cr_ncommands = (int)CR_ARRAY_LEN(cr_commands);

const struct cr_key *const cr_schema_tables[] = {
    cr_run_keys,
    cr_grid_keys,
    cr_flyby_keys,
    cr_instrument_keys,
    cr_wind_keys,
    cr_ionosphere_keys,
    cr_conductance_keys,
    cr_rate_keys,
    cr_report_keys,
    cr_pipeline_keys,
    cr_flux_keys,
    cr_particles_keys,
    cr_liouville_keys,
    cr_slices_keys,
    cr_gradient_keys,
    cr_tetrahedron_keys,
    cr_mhd_keys,
    cr_problem_keys,
    cr_msphere_keys,
};
const int cr_nschema_tables = (int)CR_ARRAY_LEN(cr_schema_tables);

const struct cr_bench cr_benches[] = {
    {"fly", "virtual spacecraft: binning 2e6 synthetic cusp protons into a 47-channel spectrogram", cr_bench_fly},
    {"grid", "point locations per second on the LFM D grid along a random walk (1 thread)", cr_bench_grid},
    {"ionosphere", "ionosphere potential solves per second on the 1 deg x 1 deg grid (direct start + GMRES)",
     cr_bench_ionosphere},
    {"flux", "field-line traces per second and one full topology map (dipole + 5 nT southward field)", cr_bench_flux},
    {"particles", "test-particle steps per second per core: Boris in the dipole and through D-grid MHD interpolation",
     cr_bench_particles},
    {"gradient", "one four-spacecraft gradient of 32 x 16 x 32 FPI-like distributions onto a 32^3 grid, 1 and all threads",
     cr_bench_gradient},
    {"mhd", "MHD core: cell-updates per second, 3-D HLLD + PLM + CT at 64^3 and 128^3, 1 and all threads",
     cr_bench_mhd},
    {NULL, NULL, NULL} /* sentinel: keep last */
};
const int cr_nbenches = (int)CR_ARRAY_LEN(cr_benches) - 1;
