"""The ethics board's service layer, one import for routes, the CLI and the demo.

The work lives in one module per concept; this module only gathers their public names:

* ``logstore``: transactions, appending entries checked by the board rules, board state;
* ``keys``: the signing key, rotation and recovery, checkpoints;
* ``governance``: the steps (propose, rebase, review, acknowledge, publish, unpublish);
* ``views``: what the board pages show;
* ``proofs``: inclusion, consistency, entries for monitors, content proofs;
* ``export``: the verifiable export directory;
* ``consent``: what a consent record agreed to, with its proof;
* ``witnesses``: collecting witness cosignatures for checkpoints.
"""

from __future__ import annotations

from server.board.consent import prove_consent
from server.board.export import export
from server.board.governance import (
    Staff,
    acknowledge,
    check_config,
    parse_bundle,
    propose,
    publish,
    rebase,
    review,
    unpublish,
)
from server.board.keys import (
    active_key,
    current_signer,
    keygen,
    latest_checkpoint,
    public_keys,
    recover_key,
    rotate_key,
    sign_checkpoint_now,
    verifier_of,
)
from server.board.logstore import (
    BoardError,
    board_state,
    leaf_hashes,
    log_page,
    log_size,
    parse_proposal_key,
    policy_for,
    proposal_key,
    was_published,
)
from server.board.proofs import (
    InclusionProof,
    consistency,
    content_proof,
    entries,
    inclusion,
    parse_size,
)
from server.board.views import (
    ProposalView,
    checklist_items,
    list_proposals,
    proposal_view,
    short_hash,
)

__all__ = [
    "BoardError",
    "InclusionProof",
    "ProposalView",
    "Staff",
    "acknowledge",
    "active_key",
    "board_state",
    "check_config",
    "checklist_items",
    "consistency",
    "content_proof",
    "current_signer",
    "entries",
    "export",
    "inclusion",
    "keygen",
    "latest_checkpoint",
    "leaf_hashes",
    "list_proposals",
    "log_page",
    "log_size",
    "parse_bundle",
    "parse_proposal_key",
    "parse_size",
    "policy_for",
    "proposal_key",
    "propose",
    "proposal_view",
    "publish",
    "prove_consent",
    "public_keys",
    "rebase",
    "recover_key",
    "review",
    "rotate_key",
    "short_hash",
    "sign_checkpoint_now",
    "unpublish",
    "verifier_of",
    "was_published",
]
