"""Publishing rules that hold whatever the transport: outside dev mode, only signed packages."""

from __future__ import annotations

from pathlib import Path

import pytest

from registry import pack_directory
from spell_mcp.accounts.keys import Caster
from spell_mcp.accounts.users import create_user
from spell_mcp.errors import SpellError
from spell_mcp.platform import Platform
from tests import wasm_modules as wat
from tests.spellbook import write_spell


async def test_unsigned_packages_are_refused_outside_dev_mode(platform: Platform, tmp_path: Path) -> None:
    assert platform.settings.dev_mode is False
    maker = await platform.db.write(lambda session: create_user(session, "maker"))
    package = pack_directory(write_spell(tmp_path, "com.acme.unsigned", wat.writes("{}")))
    with pytest.raises(SpellError) as refused:
        await platform.publishing.publish(Caster(maker.user_id, None, False), package, None)
    assert refused.value.code == "signature_required"
    assert "sign the package" in refused.value.detail
