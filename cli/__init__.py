"""Floor 5: the `stratago` command. Argument parsing only; the work lives in the packages below."""
