"""Document numbers are distinct under concurrency and never reused."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.db import close_old_connections, connection, transaction

from salesdesk.core.models import NumberCounter
from salesdesk.core.numbering import next_number, suggest_number


@pytest.mark.django_db
def test_numbers_have_kind_date_and_four_digit_sequence():
    assert next_number("SO", date(2026, 11, 27)) == "SO20261127-0001"
    assert next_number("SO", date(2026, 11, 27)) == "SO20261127-0002"
    assert next_number("SO", date(2026, 11, 28)) == "SO20261128-0001"
    assert next_number("PAY", date(2026, 11, 27)) == "PAY20261127-0001"


@pytest.mark.django_db
def test_a_number_taken_by_a_rolled_back_transaction_is_not_reused_within_it_but_skipped():
    next_number("SO", date(2026, 11, 27))
    with pytest.raises(RuntimeError), transaction.atomic():
        next_number("SO", date(2026, 11, 27))
        raise RuntimeError
    # the rollback undid the bump too, so the next number continues after the committed one
    assert next_number("SO", date(2026, 11, 27)) == "SO20261127-0002"


@pytest.mark.django_db
def test_typed_numbers_are_skipped():
    typed = {"HT2026-0001", "HT2026-0002"}

    assert next_number("HT", date(2026, 3, 1), period_format="%Y", taken=typed.__contains__) == "HT2026-0003"


@pytest.mark.django_db
def test_suggest_does_not_take_a_number():
    assert suggest_number("SO", date(2026, 11, 27)) == "SO20261127-0001"
    assert suggest_number("SO", date(2026, 11, 27)) == "SO20261127-0001"
    assert next_number("SO", date(2026, 11, 27)) == "SO20261127-0001"


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_requests_get_twenty_distinct_numbers():
    # SQLite runs on a file test database (settings), so the threads really share one database.
    numbers: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(20)

    def take():
        try:
            barrier.wait()
            with transaction.atomic():
                numbers.append(next_number("SO", date(2026, 11, 27)))
        except BaseException as exc:
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=take) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert sorted(numbers) == [f"SO20261127-{i:04d}" for i in range(1, 21)]
    assert NumberCounter.objects.get(kind="SO").last == 20
