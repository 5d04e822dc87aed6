"""Small runnable models that exportlint is demonstrated and tested on."""
