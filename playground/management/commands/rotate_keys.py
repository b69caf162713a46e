"""Re-encrypts every stored API key under the newest encryption key.

After putting a new entry first in PLAYGROUND_ENCRYPTION_KEYS (and restarting), run this,
then remove the old entry. Each key is committed on its own, so the command can be
stopped at any point and run again: keys already under the newest key are left alone.
"""

from django.core.management.base import BaseCommand, CommandError

from playground.core.crypto import KeyUnavailable, needs_rotation, rotate_secret
from playground.models import ApiKey


class Command(BaseCommand):
    help = "Re-encrypt every stored API key under the newest PLAYGROUND_ENCRYPTION_KEYS entry."

    def handle(self, *args, **options):
        rotated = current = 0
        unreadable: list[int] = []
        for pk in ApiKey.objects.order_by("pk").values_list("pk", flat=True):
            row = ApiKey.objects.filter(pk=pk).values("owner_id", "secret").first()
            if row is None:  # deleted meanwhile
                continue
            if not needs_rotation(row["secret"]):
                current += 1
                continue
            try:
                secret = rotate_secret(row["secret"], owner_id=row["owner_id"])
            except KeyUnavailable:
                unreadable.append(pk)
                continue
            # Only if the row still holds what was read: a key re-added meanwhile wins.
            rotated += ApiKey.objects.filter(pk=pk, secret=row["secret"]).update(secret=secret)
        self.stdout.write(
            f"Re-encrypted {rotated} key(s); {current} already under the newest encryption key."
        )
        if unreadable:
            ids = ", ".join(str(pk) for pk in unreadable)
            raise CommandError(
                f"{len(unreadable)} key(s) could not be decrypted and were left as they are "
                f"(ids {ids}): their encryption key is missing from PLAYGROUND_ENCRYPTION_KEYS "
                "or the stored value is damaged. Their owners need to add them again."
            )
