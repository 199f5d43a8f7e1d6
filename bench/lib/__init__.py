"""Library of the JadeVectorDB benchmark suite (bench/run_bench.py is the entry point)."""
