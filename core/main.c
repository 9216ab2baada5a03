/* main.c — entry point of bin/cusprate; everything is in cr_cli.c. */
#include "cr_cli.h"

int main(int argc, char **argv) { return cr_cli_main(argc, argv); }
