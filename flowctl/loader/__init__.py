"""Read YAML files into the model, with source spans; find and load a whole project."""
