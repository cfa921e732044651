from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from webapp.drums.services import import_kit


class Command(BaseCommand):
    help = "Import a drum kit from a folder of one-shot samples (kick.wav, snare.wav, hihat.wav, …)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("folder")
        parser.add_argument("--name", help="kit name (default: the folder's name)")
        parser.add_argument("--owner", help="username; default: a shared kit for everyone")

    def handle(self, *args, folder: str, name: str | None, owner: str | None, **options) -> None:
        from pathlib import Path

        user = None
        if owner:
            user = get_user_model().objects.filter(username=owner).first()
            if user is None:
                raise CommandError(f"no user named {owner!r}")
        try:
            kit = import_kit(folder, name=name or Path(folder).resolve().name, owner=user)
        except ValueError as exc:
            raise CommandError(str(exc))
        self.stdout.write(self.style.SUCCESS(f"kit {kit.pk} '{kit.name}': {', '.join(sorted(kit.instruments))}"))
