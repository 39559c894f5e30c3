from matchmaking import create_app

app = create_app()
