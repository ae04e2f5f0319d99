"""Creates shop.db, a small SQLite shop database: two customers and their three orders."""

import sqlite3

with sqlite3.connect("shop.db") as db:
    db.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    db.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER, total REAL)")
    db.executemany("INSERT INTO customers VALUES (?, ?)", [(1, "ada"), (2, "grace")])
    db.executemany(
        "INSERT INTO orders VALUES (?, ?, ?)", [(10, 1, 9.5), (11, 1, 3.0), (12, 2, 7.25)]
    )
