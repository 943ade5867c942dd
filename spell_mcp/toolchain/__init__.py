"""The maker's toolchain behind `spell init`, `build`, `sbom`, `pack` and `test`: from an empty
folder to a package that passes every check publish runs, with the same code publish runs."""
