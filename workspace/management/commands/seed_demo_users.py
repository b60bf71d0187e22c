from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from accounts.models import User
from workspace.demo import ensure_teams_and_specialists

DEMO_USERS = [
    # username, password, group, team code, superuser
    ("specialist", "settle-specialist", "specialist", "us-east", False),
    ("specialist.cn", "settle-specialist", "specialist", "cn-shanghai", False),
    ("supervisor", "settle-supervisor", "supervisor", "us-east", False),
    ("admin", "settle-admin", "admin", None, True),
]


class Command(BaseCommand):
    help = "Create (or reset) the demo users and print their passwords. Demo only."

    def handle(self, *args, **options):
        teams = ensure_teams_and_specialists()
        self.stdout.write("Demo users (demo passwords — never use on a real system):")
        for username, password, group, team_code, superuser in DEMO_USERS:
            user, _ = User.objects.get_or_create(username=username)
            user.team = teams[team_code] if team_code else None
            user.is_staff = group in ("supervisor", "admin")
            user.is_superuser = superuser
            user.first_name = username.split(".")[0].title()
            user.set_password(password)
            user.save()
            user.groups.set([Group.objects.get(name=group)])
            team = f" in {team_code}" if team_code else ""
            self.stdout.write(f"  {username:<14} {password:<18} ({group}{team})")
