"""Forms of the core's organization pages, one module per area. Forms parse input; services hold the rules."""
