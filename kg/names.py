"""The names the library and the command line share: formats, kinds, engines and tables.

A module of its own, light to import, so that ``kg --help`` and ``kg --version`` start without
loading the library (spaCy, pandas, rdflib) behind the commands; each module takes its names from here.
"""

EXPORT_FORMATS = ("ttl", "nt", "nq", "trig", "jsonld")
NETWORK_KINDS = ("bipartite", "mechanisms", "bodies", "diffusion")
PICTURE_FORMATS = ("png", "svg", "pdf", "html")
NETWORK_FORMATS = (*PICTURE_FORMATS, "graphml", "gexf")
SHACL_ENGINES = ("native", "turbo", "pyshacl", "core")
TABLES = ("counts", "practices", "bodies", "laws", "reports")  # each the answer of a stored table-* query
TABLE_NAMES = (*TABLES, "panel", "adoption")  # and the panel, made from the counts; adoption from practices, reports, bodies
TABLE_FORMATS = ("csv", "parquet", "json", "table")
ROW_FORMATS = ("table", "records", "json", "xml", "csv", "tsv", "ttl", "nt", "jsonld", "rdfxml")
