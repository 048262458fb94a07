"""``bigint_sum(bigint)``: a SUM of fen amounts whose state is a bigint, for the report queries on PostgreSQL.

PostgreSQL's own SUM(bigint) keeps its running total as a 128-bit integer and, in a parallel query, hands
each worker's total to the leader serialised as numeric: a year's report by customer combines about a
million of them (issue 11). A bigint state is passed by value and combined with plain addition; a total
beyond the bigint range (92 million billion yuan) raises an error instead of wrapping. SQLite's SUM of
integers already returns an integer and raises on overflow, so nothing is created there."""

from django.db import migrations

CREATE = (
    "DROP AGGREGATE IF EXISTS bigint_sum(bigint);"
    "CREATE AGGREGATE bigint_sum(bigint) (SFUNC = int8pl, STYPE = bigint, COMBINEFUNC = int8pl, PARALLEL = SAFE)"
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP AGGREGATE IF EXISTS bigint_sum(bigint)")


class Migration(migrations.Migration):

    dependencies = [
        ("ledger", "0005_rollup_month_product_all"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
