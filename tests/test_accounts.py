from django.contrib.auth import get_user_model

User = get_user_model()


def test_the_login_page_offers_the_first_account_while_nobody_exists(client, db):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b'data-testid="first-account"' in response.content
    assert b'name="username"' in response.content and b'name="password"' in response.content


def test_the_first_account_becomes_the_administrator(client, db):
    response = client.post(
        "/accounts/setup/",
        {
            "username": "ada",
            "password1": "a-long-passphrase-42",
            "password2": "a-long-passphrase-42",
        },
    )
    assert response.status_code == 302
    user = User.objects.get()
    assert user.username == "ada" and user.is_superuser and user.is_staff
    assert client.get("/").status_code == 200


def test_once_an_account_exists_the_setup_page_is_gone(client, alice):
    assert client.get("/accounts/setup/").status_code == 404
    response = client.post(
        "/accounts/setup/",
        {
            "username": "eve",
            "password1": "a-long-passphrase-42",
            "password2": "a-long-passphrase-42",
        },
    )
    assert response.status_code == 404
    assert not User.objects.filter(username="eve").exists()
    assert b"first-account" not in client.get("/accounts/login/").content


def test_a_bad_first_account_form_saves_nothing(client, db):
    response = client.post(
        "/accounts/setup/", {"username": "ada", "password1": "x", "password2": "y"}
    )
    assert response.status_code == 200
    assert not User.objects.exists()


def test_pages_need_a_login(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_login_with_the_standard_fields(client, alice):
    response = client.post(
        "/accounts/login/", {"username": "alice", "password": "alice-password-1"}
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_createsuperuser_works_without_input(db, monkeypatch):
    from django.core.management import call_command

    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-passphrase-42")
    call_command("createsuperuser", "--noinput", username="root", email="root@example.com")
    assert User.objects.get(username="root").is_superuser
