"""Every non-public dlt and Dagster API this package uses, in one place, each with a contract
test (tests/seams/test_internals_contract.py): a dlt or Dagster release that changes one fails
there, naming the assumption."""
