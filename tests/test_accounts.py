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


def test_production_settings_pass_the_deploy_check_but_for_the_https_items(settings):
    from django.core.checks import run_checks

    settings.DEBUG = False
    ids = {message.id for message in run_checks(include_deployment_checks=True)}
    # Each depends on the HTTPS proxy in front and is documented in the README.
    assert ids <= {"security.W004", "security.W008", "security.W012", "security.W016"}
