import pytest

from matchmaking.accounts import uscc

# Published example codes with correct check characters (GB 32100-2015).
VALID = ["91350100M000100Y43", "91110000600037341L", "911100007109310534"]


@pytest.mark.parametrize("code", VALID)
def test_valid_codes(code):
    assert uscc.problem(code) is None


def test_lowercase_and_spaces_are_normalised():
    assert uscc.is_valid("  91350100m000100y43 ")


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("91350100M000100Y44", "校验位"),
        ("91350100M000100Y4", "18 位"),
        ("91350100M000100I43", "不允许的字符"),
        ("Z1350100M000100Y43", "不允许的字符"),
        ("X1350100M000100Y43", "登记管理部门"),
        ("913501A0M000100Y43", "行政区划"),
        ("", "18 位"),
    ],
)
def test_invalid_codes_say_what_is_wrong(code, fragment):
    assert fragment in uscc.problem(code)


def test_make_completes_a_body_with_its_check_character():
    code = uscc.make("91330483MA2B00001")
    assert len(code) == 18 and uscc.is_valid(code)
    # Changing any one character of the body breaks the check.
    body = code[:17]
    for i in range(17):
        for c in "0123456789ABCDEF":
            if c != body[i]:
                altered = body[:i] + c + body[i + 1 :] + code[17]
                if uscc.problem(altered) is None:
                    pytest.fail(f"altered code {altered} still valid")
                break
