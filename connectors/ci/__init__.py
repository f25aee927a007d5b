"""What CI pipelines do, independent of the CI system: shell commands and the publish catalogue applied to steps."""
