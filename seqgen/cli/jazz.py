"""train-jazz and generate-jazz: an LSTM over a jazz grammar, improvising MIDI solos."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from seqgen.cli._common import (
    announce_seed,
    draw_seed,
    info,
    old_option,
    progress_bar,
    renamed,
    run_option,
    set_option,
    user_errors,
)
from seqgen.errors import UsageError

app = typer.Typer()

SeedOpt = Annotated[Optional[int], typer.Option("--seed", help="Same seed, same solo.")]
TempOpt = Annotated[Optional[float], typer.Option(
    "--temperature", help="Sampling temperature; 0 = always the likeliest token.")]
OutOpt = Annotated[Optional[Path], typer.Option("--out", help="MIDI file to write.")]


def _report(solo) -> None:
    r = solo.report
    own = "" if solo.nll_per_unit is None else \
        f", {solo.nll_per_unit:.3f} nats per {solo.unit} under the model"
    info(f"solo: {solo.measures} measures, {r['seconds']:.1f} s at {r['bpm']:g} bpm, "
         f"{r['notes']} notes, {100 * r['chord_tones']:.0f}% chord tones, "
         f"{100 * r['in_harmony']:.0f}% chord or scale tones{own}")
    print(solo.out)


def _render(midi: Path) -> None:
    from seqgen.audio.render import render_midi

    result = render_midi(midi, None, "auto", None, 44100, False, on_status=info)
    print(result.wav)


def _part(value: str | None) -> int | str | None:
    """A part given by index (digits) or by name."""
    return int(value) if value is not None and value.strip().isdigit() else value


@app.command("train-jazz")
def train_jazz(
    epochs: Annotated[Optional[int], typer.Option("--epochs", help="Total epochs.")] = None,
    save_every: Annotated[Optional[int], typer.Option(
        "--save-every", help="Also save the checkpoint every N epochs.")] = None,
    midi: Annotated[Optional[list[Path]], typer.Option(
        "--midi", metavar="<path>", help="MIDI file or lead sheet with the solo; or a "
        "folder of them (repeatable: a collection).")] = None,
    config: Annotated[Optional[Path], typer.Option(
        "--config", help="YAML config file (default: configs/jazz.yaml).")] = None,
    set_: Annotated[Optional[list[str]], set_option("configs/jazz.yaml", "hidden=32")] = None,
    run: Annotated[Optional[Path], run_option("Run directory (default runs/jazz).")] = None,
    out: OutOpt = None,
    seed: SeedOpt = None,
    temperature: TempOpt = None,
    lr: Annotated[Optional[float], typer.Option("--lr", help="Adam learning rate.")] = None,
    strategy: Annotated[Optional[str], typer.Option(
        "--strategy", help="default, mirrored or multiworker (tf.distribute).")] = None,
    resume: Annotated[Optional[Path], typer.Option("--resume", help="Continue this run.")
                      ] = None,
    melody_part: Annotated[Optional[str], typer.Option(
        "--melody-part", help="The solo's part, by index or name (see midi-info).")] = None,
    chord_part: Annotated[Optional[str], typer.Option(
        "--chord-part", help="The harmony's part, by index or name.")] = None,
    bpm: Annotated[Optional[float], typer.Option(
        "--bpm", help="Tempo of the written solo (default: the source's).")] = None,
    model: Annotated[Optional[str], typer.Option(
        "--model", help="notes (the network picks every pitch; the default with --midi) or "
        "grammar (the course's token model; the default on the course's solo).")] = None,
    held_out: Annotated[Optional[float], typer.Option(
        "--held-out", help="Share of a collection's pieces held out: half validation "
        "(chooses the epoch, stops early), half test (`seqgen evaluate`). Default: 0.2 "
        "from 10 usable files.")] = None,
    val_split: Annotated[Optional[float], typer.Option(
        "--val-split", hidden=True, help="Old name of --held-out.")] = None,
    patience: Annotated[Optional[int], typer.Option(
        "--patience", help="Stop after N epochs without a better validation loss.")] = None,
    init_from: Annotated[Optional[str], typer.Option(
        "--init-from", metavar="RUN|NAME", help="Start from a jazz model's weights: a run "
        "directory, jazz-notes or metheny (see `seqgen models`).")] = None,
    checkpoint: Annotated[Optional[Path], old_option("--checkpoint")] = None,
) -> None:
    """Train a jazz model, save a checkpoint, write a new solo.

    With --midi FILE or FOLDER (repeatable), a note model learns every melody over its
    chords; each file's melody and harmony parts are chosen from it (one line each, files
    that cannot be used are skipped; see `seqgen midi-info`). From 10 files, validation
    files choose the epoch and test files are kept for `seqgen evaluate`. Without --midi,
    the course's grammar model learns the Metheny solo. Prints the path of the written
    MIDI file on stdout; progress goes to stderr.
    """
    from seqgen import api

    with user_errors():
        if val_split is not None:
            info("seqgen: --val-split is now --held-out (it holds out validation and test "
                 "files)")
            held_out = val_split if held_out is None else held_out
        with progress_bar("train-jazz", epochs) as bar:
            result = api.train_jazz(
                midi, run=renamed(run, checkpoint, "--checkpoint", "--run"), out=out,
                init_from=init_from, resume=resume,
                config=config, set=set_ or (), progress=bar, on_info=info, epochs=epochs,
                save_every=save_every, seed=seed, temperature=temperature, lr=lr,
                strategy=strategy, held_out=held_out, model=model, patience=patience,
                melody_part=_part(melody_part), chord_part=_part(chord_part), bpm=bpm)
    train = result.train
    if not train.trained:
        info(f"nothing to train: {resume} is already at epoch {train.step}")
    elif train.loss is not None:
        info(f"epoch {train.step}: loss {train.loss:.4f} per {result.unit} "
             f"({train.seconds:.1f} s training); run {train.run}")
    if result.best_epoch is not None:
        early = "; stopped early: no better validation loss in --patience epochs" \
            if train.stopped_by == "target" else ""
        info(f"validation chose epoch {result.best_epoch} ({train.val_loss:.4f} nats per "
             f"{result.unit}){early}")
    if result.solo is not None:
        _report(result.solo)


@app.command("generate-jazz")
def generate_jazz(
    run: Annotated[Optional[Path], run_option(
        "Run directory (default: the model shipped with seqgen).")] = None,
    out: Annotated[Path, typer.Option("--out", help="MIDI file to write.")] = Path("out.midi"),
    seed: SeedOpt = None,
    temperature: Annotated[Optional[float], typer.Option(
        "--temperature", help="Sampling temperature; 0 = always the likeliest token "
        "(default: the model's, 1.0 grammar, 0.9 notes).")] = None,
    repeat_penalty: Annotated[Optional[float], typer.Option(
        "--repeat-penalty", help="Note model: how much less likely the last pitch is to "
        "come again (a logit; 0: as the network has it; default: the model's, 1.0).")
                              ] = None,
    measures: Annotated[Optional[int], typer.Option(
        "--measures", help="Measures to improvise (default: the source's progression).")
                        ] = None,
    primer: Annotated[Optional[Path], typer.Option(
        "--primer", help="MIDI file whose melody the solo starts with and continues.")
                      ] = None,
    bpm: Annotated[Optional[float], typer.Option(
        "--bpm", help="Tempo of the written file (default: the model's).")] = None,
    chords: Annotated[Optional[str], typer.Option(
        "--chords", help="Changes to play over: a chart like 'Dm7 G7 | Cmaj7' (bars split "
        "by |), or a MIDI file or lead sheet whose harmony is used.")] = None,
    choruses: Annotated[int, typer.Option(
        "--choruses", help="Times through the changes.")] = 1,
    pitch_range: Annotated[Optional[str], typer.Option(
        "--range", help="Lowest and highest melody note, e.g. C4-C6 (note model).")] = None,
    count: Annotated[int, typer.Option(
        "-n", "--count", help="Solos to write (with --out-dir).")] = 1,
    out_dir: Annotated[Optional[Path], typer.Option(
        "--out-dir", help="Folder for the solos (solo-01.mid …, each with a .json of its "
        "seed, chart, temperature, repeat penalty and nats per note).")] = None,
    render: Annotated[bool, typer.Option(
        "--render", help="Also write each solo's WAV (as render-midi does).")] = False,
    checkpoint: Annotated[Optional[Path], old_option("--checkpoint")] = None,
) -> None:
    """Improvise a new solo from a trained checkpoint (no TensorFlow needed).

    By default the solo follows the chords of the music the model learnt; --chords gives
    your own changes, and the written file carries a piano part that comps them. Without
    --run, --chords is played by the note model shipped with seqgen, and the
    course's Metheny changes by its grammar model. Without --seed a random one is drawn
    and shown, so a solo you like can be regenerated.
    """
    from seqgen.config import make_options
    from seqgen.jazz.config import SoloSampling
    from seqgen.jazz.models import generate_jazz as generate_one
    from seqgen.jazz.models import generate_many
    from seqgen.jazz.notes import parse_range

    seed, drawn = draw_seed(seed)
    run = renamed(run, checkpoint, "--checkpoint", "--run")
    with user_errors():
        options = make_options(SoloSampling, temperature=temperature, measures=measures,
                               bpm=bpm, primer=str(primer) if primer else None,
                               chords=chords, choruses=choruses,
                               pitch_range=parse_range(pitch_range) if pitch_range else None,
                               repeat_penalty=repeat_penalty)
        if count < 1:
            raise UsageError(f"-n must be at least 1, got {count}")
        if out_dir is None and count > 1:
            raise UsageError("-n writes several solos: give --out-dir FOLDER")
        solos = generate_many(run, out_dir, count, options, seed) if out_dir \
            else [generate_one(run, out, options, seed)]
        if drawn:
            announce_seed(seed, "write this solo" if count == 1 else "write these solos")
        for solo in solos:
            _report(solo)
            if render:
                _render(Path(solo.out))
