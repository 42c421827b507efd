"""Data page: upload files into ingest (the same code path as `postlaunch ingest`) with progress and a
per-file summary — offered to operators and governance only — and the deployment registry as loaded.
No SQL here."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import auth, state, writes
from postlaunch.errors import PostlaunchError


def _registry_tables() -> None:
    ctx = state.context()
    st.subheader("The registry as loaded")
    st.caption(
        f"From `{ctx.settings.config}`. The registry is the source of truth for what each deployment is "
        "approved to do; a change to it is recorded as a policy change record at the next ingest."
    )
    if not ctx.registry.deployments:
        st.warning(
            f"No deployments in `{ctx.settings.config}`. Add `[deployments.ID]` tables (see docs/registry)."
        )
        return
    for dep_id in ctx.registry.ids:
        dep = ctx.registry.deployments[dep_id]
        with st.expander(f"**{dep.name}** ({dep_id}) · risk {dep.risk_tier} · {dep.status}", expanded=False):
            rows = [
                ("owner", dep.owner),
                ("risk tier", dep.risk_tier),
                ("status", dep.status),
                ("launched", dep.launched.isoformat()),
                ("approved use cases", ", ".join(dep.approved_use_cases)),
                ("approved teams", ", ".join(dep.approved_teams) or "any team"),
                ("max data class", dep.max_data_class),
                (
                    "weekly budget",
                    f"{dep.weekly_budget:,.2f} {ctx.settings.currency}" if dep.weekly_budget else "none",
                ),
                ("review day", dep.review_day),
                ("OpenTelemetry services", ", ".join(dep.otel_services) or "—"),
                ("OpenAI projects", ", ".join(dep.openai_projects) or "—"),
                ("Anthropic workspaces", ", ".join(dep.anthropic_workspaces) or "—"),
                (
                    "scope threshold",
                    "calibrated" if dep.scope_threshold is None else f"{dep.scope_threshold:.2f}",
                ),
            ]
            st.dataframe(pd.DataFrame(rows, columns=["field", "value"]), hide_index=True, width="stretch")
            if dep.use_case_descriptions:
                st.markdown("**Use cases in plain words**")
                st.dataframe(
                    pd.DataFrame(
                        list(dep.use_case_descriptions.items()), columns=["use case", "description"]
                    ),
                    hide_index=True,
                    width="stretch",
                )
            if dep.thresholds:
                st.markdown("**Threshold overrides**")
                st.dataframe(
                    pd.DataFrame(
                        [(m, t.warn, t.critical) for m, t in dep.thresholds.items()],
                        columns=["metric", "warn", "critical"],
                    ),
                    hide_index=True,
                    width="stretch",
                )


def _upload() -> None:
    st.subheader("Upload files")
    if not auth.may("upload"):
        identity = auth.current_identity()
        who = f"{identity.shown} ({identity.role_summary()})" if identity else "nobody signed in"
        st.caption(f"Loading data is for operators and governance; you are {who}.")
        return
    limit = state.context().settings.max_upload_mb
    choices = writes.ingest_choices()
    with st.form("upload", clear_on_submit=False):
        kind = st.selectbox(
            "Kind or adapter",
            list(choices),
            format_func=lambda k: f"{k} — {choices[k]}",
            help="A contract kind (usage, cost, feedback, incidents, changes) or an adapter for an "
            "ecosystem format (OpenTelemetry, FOCUS, vendor exports).",
        )
        files = st.file_uploader(
            "Files (CSV, JSON Lines, Parquet, OTLP JSON; plain or .gz)",
            accept_multiple_files=True,
            help=f"Up to {limit:g} MB per file (setting max_upload_mb); load bigger files with "
            "`postlaunch ingest KIND FILE`.",
        )
        mapping_text = st.text_input(
            "Column mapping (optional)",
            placeholder="ts=timestamp, app=deployment",
            help="SRC=DEST pairs, comma-separated, for files whose columns are named differently.",
        )
        strict = st.checkbox("Strict: refuse a file with any quarantined row")
        submitted = st.form_submit_button("Load", type="primary")
    if not submitted:
        return
    if not files:
        st.warning("Choose at least one file to load.")
        return
    mapping = writes.parse_mapping(mapping_text)
    progress = st.progress(0.0, text="Starting…")
    results = []
    with st.status(f"Loading {len(files)} file(s) as {kind}…", expanded=True) as status:
        for i, upload in enumerate(files, start=1):
            progress.progress((i - 1) / len(files), text=f"{upload.name} ({i}/{len(files)})")
            st.write(f"Loading **{upload.name}** …")
            try:
                results.extend(writes.ingest_upload(kind, upload.name, upload.getvalue(), mapping, strict))
            except PostlaunchError as exc:  # too big, a name with nothing left, or not allowed
                results.append(_refused(upload.name, kind, str(exc)))
        progress.progress(1.0, text="Done")
        failed = [r for r in results if r["status"] != "loaded"]
        status.update(
            label=f"Loaded {len(results) - len(failed)} of {len(results)} file(s)"
            + (f"; {len(failed)} could not be loaded" if failed else ""),
            state="error" if failed else "complete",
            expanded=bool(failed),
        )
    summary = pd.DataFrame(results)
    st.dataframe(summary, hide_index=True, width="stretch")
    for r in results:
        line = (
            f"`{r['file']}`: rows={r['rows']} loaded={r['loaded']} duplicates={r['duplicates']} "
            f"quarantined={r['quarantined']}"
        )
        if r["status"] != "loaded":
            st.error(f"{line} — **not loaded**: {r['message']}")
        elif r["quarantined"]:
            st.warning(f"{line} — quarantined rows are listed on the Evidence page. {r['reasons']}")
        elif r.get("empty"):
            st.info(f"{line} — a file without rows ({r['empty']}): nothing to load today.")
        else:
            st.success(line)


def _refused(name: str, kind: str, message: str) -> dict[str, object]:
    return {
        "file": name, "kind": kind, "rows": 0, "loaded": 0, "duplicates": 0, "quarantined": 0,
        "status": "refused", "message": message, "reasons": "", "extra_columns": "",
    }  # fmt: skip


def render() -> None:
    st.title("Data")
    st.caption(
        "Load exports into the database (the same code path as `postlaunch ingest`) and check the registry."
    )
    _upload()
    st.divider()
    _registry_tables()


state.page(render)
