"""Graph stores: the embedded Ladybug store (embedded.py) and Neo4j (neo4j_store.py, neo4j_sync.py)."""

# Rows per transaction of the Neo4j sync: the one default of sync_graph and of `python -m graph_loader sync
# --batch-size` (defined here, not in neo4j_sync, so the command line can show it without importing the sync code).
# World sync, new relationships folded by node on 2 sessions: 10000 -> 26,500 rel/s, 20000 -> 24,000 rel/s
# (one relationship per row, one session: 5000 -> 20000 had been ~1.5x).
DEFAULT_BATCH = 10000

# Sessions writing new relationships at once (1 = one after the other). Two keep both the client and the server's
# commit busy on a 2-core machine (world sync: see benchmarks/README.md); more only queue on the server's locks.
DEFAULT_WORKERS = 2
