"""The forms of signing up and logging in, the admin's login page included."""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm

from playground.accounts import throttle


class FirstAccountForm(UserCreationForm):
    """Creates the first person's account, who becomes the administrator."""

    def save(self, commit: bool = True):
        user = super().save(commit=False)
        user.is_staff = True
        user.is_superuser = True
        if commit:
            user.save()
        return user


class ThrottledLoginMixin:
    """Refuses logins while the username or the client's address is locked, and counts
    failed ones (playground/accounts/throttle.py). `locked_for` tells the view to answer 429."""

    locked_for = 0

    def clean(self):
        username = self.data.get("username", "")
        ip = throttle.client_ip(self.request)
        self.locked_for = throttle.login_locked_for(username=username, ip=ip)
        if self.locked_for:
            # Refused before the password is checked: a lock stops guessing only if the
            # right password does not get in either.
            raise forms.ValidationError(throttle.lock_message(self.locked_for), code="locked")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            if self.user_cache is None:
                self.locked_for = throttle.login_failed(username=username, ip=ip)
                if self.locked_for:
                    raise forms.ValidationError(
                        throttle.lock_message(self.locked_for), code="locked"
                    ) from None
            raise
        if self.user_cache is not None:
            throttle.login_succeeded(username=username)
        return cleaned


class LoginForm(ThrottledLoginMixin, AuthenticationForm):
    pass


class AdminLoginForm(ThrottledLoginMixin, AdminAuthenticationForm):
    """The admin's own login page, held to the same limits."""


class SignupForm(UserCreationForm):
    """A new person's account: a normal user, neither staff nor administrator."""
