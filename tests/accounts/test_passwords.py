import pytest

from matchmaking.accounts import passwords


@pytest.mark.parametrize(
    "pw",
    ["short1A!", "alllowercaseletters", "password1234", "Password1234", "abcdefghijkL", "a" * 129],
)
def test_weak_passwords_are_rejected(pw):
    assert passwords.problems(pw)


@pytest.mark.parametrize(
    "pw", ["Tongxiang-2026-揭榜!", "桐乡市濮院镇毛衫产业园区技术需求发榜平台账号密码" * 2 + "Ab1"]
)
def test_strong_passwords_are_accepted(pw):
    assert passwords.problems(pw) == []


def test_messages_are_chinese():
    assert "至少 12 个字符" in passwords.problems("Ab1!")[0]
