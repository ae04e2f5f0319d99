"""What makes runs safe to kill and to run in parallel: facts about the destination, the
single-writer lock, a working directory per run, and the repair of what dead runs left."""
