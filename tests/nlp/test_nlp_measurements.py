from __future__ import annotations

import pytest

SIZES = [
    ("There is a 6 mm nodule in the right upper lobe.", [6.0]),
    ("Left adrenal nodule measuring 1.2 x 0.8 cm.", [12.0, 8.0]),
    ("Renal mass measuring 3.1 x 2.4 x 2.0 cm.", [31.0, 24.0, 20.0]),
    ("A 4-5 mm nodule in the lingula.", [5.0]),
    ("Thyroid nodule 1.5 cm in diameter.", [15.0]),
    ("Nodule in the right upper lobe.", None),
    ("Nodule in the right upper lobe. The aorta measures 3 cm.", None),
]


@pytest.mark.parametrize(("text", "size"), SIZES)
def test_size_linked(run, text: str, size: list[float] | None) -> None:  # type: ignore[no-untyped-def]
    assert run(text).findings[0].size_mm == size


def test_each_measurement_linked_once(run) -> None:  # type: ignore[no-untyped-def]
    result = run("A 4 mm nodule in the right upper lobe and a 7 mm nodule in the left lower lobe.")
    assert [f.size_mm for f in result.findings] == [[4.0], [7.0]]


LATERALITY = [
    ("Nodule in the right upper lobe.", "right", "right upper lobe"),
    ("Left adrenal nodule.", "left", "adrenal gland"),
    ("Bilateral adrenal nodules.", "bilateral", "adrenal gland"),
    ("Nodule in the LLL.", "left", "left lower lobe"),
    ("Liver lesion.", None, "liver"),
]


@pytest.mark.parametrize(("text", "side", "location"), LATERALITY)
def test_laterality_and_location(run, text: str, side: str | None, location: str | None) -> None:  # type: ignore[no-untyped-def]
    finding = run(text).findings[0]
    assert (finding.laterality.value if finding.laterality else None) == side
    assert finding.location == location
