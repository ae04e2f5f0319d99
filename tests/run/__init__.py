"""The run path: @dlt_assets, DagsterDltResource.run, translation, checks, the corpus."""
