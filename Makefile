# Two commands set everything up on a fresh machine:
#   make demo   install, then run the main job (track_job) for every sample track, last
#               night's generation batch, the upload (a dry run without YouTube
#               credentials), and the analytics of a simulated channel served on
#               loopback (labelled as such), headless
#   make test   install, then run the tests
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
export LOFI_DATA_DIR ?= $(CURDIR)/data

.PHONY: install demo test lint format dev bench check-defs clean soundfont

# The CPU wheel of torch goes in first, so nothing pulls a CUDA build in its place.
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -c constraints.txt torch==2.13.0
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	# tinysoundfont's pyaudio dependency (live playback, unused here) does not build without
	# PortAudio's headers; the renderer needs only the synthesiser, so it comes in alone.
	$(BIN)/pip install --quiet --no-deps -c constraints.txt tinysoundfont
	$(MAKE) --no-print-directory soundfont
	touch $@

# FluidR3_GM (MIT licence, 148 MB: a stereo Rhodes, an upright bass, a brush kit) is the
# renderer's default where it can be had: a system copy, else Debian's package unpacked into
# the environment without root (apt-get download, dpkg-deb -x). Elsewhere the renderer keeps
# TimGM6mb, which pretty_midi ships; the step never fails the install.
FLUIDR3 := $(VENV)/share/sounds/sf2/FluidR3_GM.sf2
soundfont:
	@if [ -f /usr/share/sounds/sf2/FluidR3_GM.sf2 ] || [ -f $(FLUIDR3) ]; then \
	  echo "soundfont: FluidR3_GM present"; \
	elif command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null; then \
	  tmp=$$(mktemp -d) && \
	  if (cd $$tmp && apt-get download -qq fluid-soundfont-gm >/dev/null 2>&1) && \
	     dpkg-deb -x $$tmp/fluid-soundfont-gm_*.deb $$tmp/x && \
	     mkdir -p $(dir $(FLUIDR3)) && mv $$tmp/x/usr/share/sounds/sf2/FluidR3_GM.sf2 $(FLUIDR3); then \
	    echo "soundfont: FluidR3_GM unpacked into $(FLUIDR3)"; \
	  else echo "soundfont: could not fetch fluid-soundfont-gm; rendering with TimGM6mb"; fi; \
	  rm -rf $$tmp; \
	else echo "soundfont: no Debian tools here; rendering with TimGM6mb"; fi

install: $(STAMP)

$(DAGSTER_HOME)/dagster.yaml:
	mkdir -p $(DAGSTER_HOME)
	cp deploy/local/dagster.yaml $@

demo: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/lofi pools
	$(BIN)/lofi demo-library
	$(BIN)/lofi discover
	$(BIN)/lofi materialize --job notion_job --all
	$(BIN)/lofi materialize --job song_job --all
	$(BIN)/lofi materialize --job library_index_job
	$(BIN)/lofi materialize --job track_job --all --config deploy/local/demo.yaml
	$(BIN)/lofi materialize --job nightly_job --config deploy/local/demo.yaml \
	  $$($(BIN)/python -c "import datetime as d; print(d.datetime.now(d.timezone.utc).date() - d.timedelta(days=1))")
	# The night's songs joined the library: analyse them as the library sensor would, so
	# that `make dev` afterwards finds nothing left to do.
	$(BIN)/lofi discover
	$(BIN)/lofi materialize --job song_job --new
	$(BIN)/lofi materialize --job library_index_job
	# The demo never publishes, even where LOFI_YOUTUBE_TOKEN is set: a dry run records the requests.
	LOFI_YOUTUBE_DRY_RUN=1 $(BIN)/lofi materialize --job publish_job --all
	$(BIN)/lofi uploads
	# Analytics need a channel with history: a simulated one on loopback (not YouTube, and the
	# report says so), pulled and reported by the same code that reads YouTube.
	$(BIN)/lofi demo-channel

test: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

# The house style: `make format` applies it; `make test` fails where it is not kept.
format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

dev: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/lofi pools
	$(BIN)/dagster dev -w workspace.yaml

check-defs: install
	VIRTUAL_ENV=$(CURDIR)/$(VENV) $(BIN)/dg check defs

bench: install
	$(BIN)/python benchmarks/bench_parse.py
	$(BIN)/python benchmarks/bench_sensor.py
	$(BIN)/python benchmarks/bench_library.py
	$(BIN)/python benchmarks/eval_library_match.py
	$(BIN)/python benchmarks/bench_generate.py
	$(BIN)/python benchmarks/eval_midi_model.py
	$(BIN)/python benchmarks/validate_key_finder.py
	$(BIN)/python benchmarks/bench_render.py
	$(BIN)/python benchmarks/bench_separate.py
	$(BIN)/python benchmarks/bench_master.py
	$(BIN)/python benchmarks/bench_demo_track.py
	$(BIN)/python benchmarks/bench_video.py
	$(BIN)/python benchmarks/bench_upload.py
	$(BIN)/python benchmarks/bench_analytics.py
	$(BIN)/python benchmarks/bench_celery.py
	$(BIN)/python benchmarks/bench_startup.py
	$(BIN)/python benchmarks/bench_library_import.py
	$(BIN)/python benchmarks/bench_page_to_video.py
	$(BIN)/python benchmarks/bench_three_hour.py

clean:
	rm -rf $(VENV) .dagster_home data/assets .pytest_cache
