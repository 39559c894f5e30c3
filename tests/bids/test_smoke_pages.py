from tests import factories
from tests.bids import util


def test_pages_render(client, login, enterprise, solver, bureau):
    need = factories.need(enterprise, "published", bureau=bureau)
    b = util.bid(need, solver)
    login(solver)
    for url in (
        f"/needs/{need.id}",
        "/my/bids",
        f"/bids/{b.id}",
        f"/bids/{b.id}/edit",
        "/my/matches",
    ):
        r = client.get(url)
        assert r.status_code == 200, (url, r.get_data(as_text=True)[:3000])
