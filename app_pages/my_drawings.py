"""My drawings: what the person saved, per digit; relabel, delete, export, import; fine-tune on them."""

from __future__ import annotations

import streamlit as st

from app_pages.common import label_text, ARCHS, current_profile, get_predictor, get_store
from model import WeightsError
from model.finetune import MIN_DRAWINGS
from model.jobs import FineTuneJob, fine_tune_command
from store import NOT_A_DIGIT, ArchiveError, StoreError, export_zip, import_zip
from store.db import LABELS

PAGE_SIZE = 24



@st.cache_resource
def job_registry() -> dict:
    """(profile, arch) -> FineTuneJob, shared by the server's sessions; each person sees only their own key."""
    return {}


def counts_table(counts: dict[int, int]) -> None:
    st.dataframe({label_text(k): [v] for k, v in counts.items()}, hide_index=True, width="stretch")


def on_relabel(profile: str, drawing_id: int) -> None:
    choice = st.session_state[f"relabel-{drawing_id}"]
    store = get_store()
    try:
        store.relabel(profile, drawing_id, NOT_A_DIGIT if choice == "not a digit" else int(choice))
        st.session_state.gallery_message = f"Drawing #{drawing_id} is now labelled {choice}."
    except StoreError as e:
        st.session_state.gallery_message = str(e)


def on_delete(profile: str, drawing_id: int) -> None:
    try:
        get_store().delete(profile, drawing_id)
        st.session_state.gallery_message = f"Deleted drawing #{drawing_id}."
    except StoreError as e:
        st.session_state.gallery_message = str(e)
    st.session_state.pop("confirm_delete", None)


def gallery(profile: str) -> None:
    store = get_store()
    st.subheader("Gallery")
    left, right = st.columns([1, 1])
    digit = left.selectbox("Digit", ["All", *map(label_text, LABELS)], key="gallery_digit")
    wrong = right.toggle("Only those the model got wrong", key="gallery_wrong")
    label = None if digit == "All" else (NOT_A_DIGIT if digit == "not a digit" else int(digit))
    limit = st.session_state.setdefault("gallery_limit", PAGE_SIZE)
    drawings = store.drawings(profile, label=label, wrong_only=wrong, limit=limit + 1)
    if message := st.session_state.pop("gallery_message", None):
        st.toast(message)
        st.caption(message)
    if not drawings:
        st.info("No drawings here yet. On the Draw page, answer \"Right?\" under a prediction to save one.")
        return
    columns = st.columns(6)
    for i, d in enumerate(drawings[:limit]):
        with columns[i % 6]:
            said = d.predicted
            verdict = "" if said is None else (f" · model said {said}" if said != d.label else " · model right")
            st.image(d.input_png, caption=f"#{d.id}: {label_text(d.label)}{verdict}", width="stretch")
            with st.popover("Edit", width="stretch"):
                st.selectbox("Label", [label_text(x) for x in LABELS], index=LABELS.index(d.label),
                             key=f"relabel-{d.id}", on_change=on_relabel, args=(profile, d.id))
                if st.session_state.get("confirm_delete") == d.id:
                    st.warning(f"Delete drawing #{d.id}? This cannot be undone.")
                    st.button("Yes, delete it", key=f"confirm-delete-{d.id}", on_click=on_delete, args=(profile, d.id))
                    st.button("Keep it", key=f"keep-{d.id}", on_click=lambda: st.session_state.pop("confirm_delete", None))
                else:
                    st.button("Delete", key=f"delete-{d.id}",
                              on_click=lambda i=d.id: st.session_state.update(confirm_delete=i))
    if len(drawings) > limit:
        st.button("Show more", on_click=lambda: st.session_state.update(gallery_limit=limit + PAGE_SIZE))


def export_import(profile: str) -> None:
    store = get_store()
    st.subheader("Export and import")
    st.download_button("Export my drawings (.zip)", data=lambda: export_zip(store, profile),
                       file_name="my-drawings.zip", mime="application/zip",
                       help="Folders <digit>/<id>.png and drawings.json with the strokes and labels: the layout "
                            "python -m model.evaluate --images reads once unzipped.")
    upload = st.file_uploader("Import drawings from a .zip made by Export", type=["zip"], key="import_zip")
    if upload is not None and st.button("Import", key="import"):
        try:
            n = import_zip(store, profile, upload.getvalue())
            st.success(f"Imported {n} drawing{'' if n == 1 else 's'}.")
        except (ArchiveError, StoreError) as e:
            st.error(f"Nothing was imported: {e}")


def fine_tune_panel(profile: str, total: int) -> None:
    jobs = job_registry()
    store = get_store()
    running = any((j := jobs.get((profile, a))) is not None and not j.done for a in ARCHS)

    @st.fragment(run_every=1.0 if running else None)
    def panel() -> None:
        for arch in ARCHS:
            name = arch.upper()
            job = jobs.get((profile, arch))
            mine = store.model_path(profile, arch)
            if job is not None and not job.done:
                eta = job.eta()
                st.progress(min(1.0, job.fraction), text=f"{name}: {job.message}"
                            + (f" · about {eta:.0f} s left" if eta is not None else " · starting"))
                continue
            if job is not None and job.error:
                st.error(f"The {name} fine-tune did not finish: {job.error}")
            elif job is not None and job.result:
                r = job.result
                mnist = r.get("mnist_test_accuracy")
                st.success(f"{name} (yours) is ready: on your drawings it did not train on ({r['evaluated_on']}), "
                           f"{r['accuracy_before']:.1%} before, {r['accuracy_after']:.1%} after"
                           + (f"; MNIST test {mnist:.2%}" if mnist is not None else "") +
                           f". Took {r['seconds']:.0f} s. Choose \"{name} (yours)\" in the sidebar.")
                if r.get("replay") == "none":
                    st.caption("MNIST was not found (MNIST_DIR), so it learned from your drawings alone, held close "
                               "to the shipped weights; with MNIST it would also rehearse everyone else's digits.")
            elif mine.is_file():
                try:
                    meta = get_predictor(arch, mine).metadata
                    st.caption(f"{name} (yours): fine-tuned on {meta.get('drawings')} drawings; on held-out ones "
                               f"{meta.get('accuracy_before', 0):.1%} before, {meta.get('accuracy_after', 0):.1%} after.")
                except WeightsError as e:
                    st.error(f"Your {name} cannot be loaded: {e}")
            if st.button(f"Fine-tune the {name} on my drawings", key=f"fine-tune-{arch}",
                         disabled=total < MIN_DRAWINGS or running):
                command = fine_tune_command(arch, ["--db", str(store.path), "--profile", profile], mine)
                jobs[(profile, arch)] = FineTuneJob(command)
                st.rerun(scope="app")
        if running and not any((j := jobs.get((profile, a))) is not None and not j.done for a in ARCHS):
            st.rerun(scope="app")  # finished: the sidebar now lists the new model

    panel()


def delete_everything(profile: str) -> None:
    store = get_store()
    with st.expander("Delete all my drawings and models"):
        st.caption("Export first if you may want them back.")
        if st.checkbox("Yes, delete all my drawings and my fine-tuned models", key="confirm_delete_all"):
            if st.button("Delete everything", type="primary", key="delete_all"):
                n = store.delete_all(profile)
                for arch in ARCHS:
                    store.model_path(profile, arch).unlink(missing_ok=True)
                st.session_state.gallery_message = f"Deleted {n} drawings and your models."
                st.rerun(scope="app")


profile = current_profile()
st.title("My drawings")
st.caption(profile.description)
if not profile.can_save:
    st.info("Sign in (sidebar) to see your drawings.")
    st.stop()
try:
    counts = get_store().counts(profile.name)
except StoreError as e:
    st.error(f"{e} Drawing and predictions still work on the Draw page.")
    st.stop()
total = sum(counts.values())
st.markdown(f"**{total} drawing{'' if total == 1 else 's'} saved**, per digit:")
counts_table(counts)
st.subheader("Fine-tune on my drawings")
st.caption(f"Teaches the networks your handwriting in well under a minute, replaying MNIST so they do not forget "
           f"everyone else's. Needs at least {MIN_DRAWINGS} drawings; two of each digit you write is a good start. "
           "The shipped weights are never changed.")
if total < MIN_DRAWINGS:
    st.info(f"Save at least {MIN_DRAWINGS} drawings to fine-tune: you have {total}.")
fine_tune_panel(profile.name, total)
try:
    gallery(profile.name)
    export_import(profile.name)
    delete_everything(profile.name)
except StoreError as e:
    st.error(str(e))
