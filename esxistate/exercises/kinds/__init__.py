"""One module per exercise kind (KINDS) and per troubleshooting lab (LAB_KINDS): generator, worked solution, hint."""
