"""In an installed package, the project's data folders (ontology/, shapes/, queries/, seeds/) are
here; in a checkout they are at the top of the repository (kg.paths finds either)."""
