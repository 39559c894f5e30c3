from matchmaking.needs.models import NeedStatus
from tests import factories


def test_board_shows_a_published_need(client, enterprise, bureau):
    need = factories.need(enterprise, "published", bureau=bureau, title="玻纤池窑余热回收")
    page = client.get("/").get_data(as_text=True)
    assert "玻纤池窑余热回收" in page
    assert need.status is NeedStatus.published
