// CamStudio's browser side: the map readout under the cursor, file downloads, the theme choice, and Enter on a drop zone.
window.camStudio = (() => {
    // A focused file input opens its chooser on Space; Enter must too (a drop zone reads as a button). This runs in
    // the key's own event, so the browser counts it as the user's gesture (a server round trip would not).
    document.addEventListener('keydown', event => {
        const target = event.target;
        if (event.key === 'Enter' && target instanceof HTMLInputElement && target.type === 'file'
            && target.classList.contains('file-drop-input') && !target.disabled) {
            event.preventDefault();
            target.click();
        }
    });

    // Bilinear lookup at a relative position (0..1) with pixel centres at (i + 0.5) / n, the convention of
    // align_corners = false upsampling, so the readout matches the upsampled heatmap.
    function sample(map, rx, ry) {
        const x = Math.min(Math.max(rx * map.width - 0.5, 0), map.width - 1);
        const y = Math.min(Math.max(ry * map.height - 0.5, 0), map.height - 1);
        const x0 = Math.floor(x), y0 = Math.floor(y);
        const x1 = Math.min(x0 + 1, map.width - 1), y1 = Math.min(y0 + 1, map.height - 1);
        const fx = x - x0, fy = y - y0;
        const v = (i, j) => map.values[j * map.width + i];
        const top = v(x0, y0) * (1 - fx) + v(x1, y0) * fx;
        const bottom = v(x0, y1) * (1 - fx) + v(x1, y1) * fx;
        return top * (1 - fy) + bottom * fy;
    }

    function format(value) {
        return Math.abs(value) >= 1e4 || (value !== 0 && Math.abs(value) < 1e-3) ? value.toExponential(3) : value.toFixed(4);
    }

    function onMove(event) {
        const frame = event.currentTarget;
        const state = frame._camStudio;
        if (!state || !state.map) return;
        const img = frame.querySelector('img');
        if (!img) return;
        const box = img.getBoundingClientRect();
        const rx = (event.clientX - box.left) / box.width;
        const ry = (event.clientY - box.top) / box.height;
        if (rx < 0 || rx > 1 || ry < 0 || ry > 1) return;
        // The map covers only the region the model saw (a centre-crop model's middle); the margins have no value.
        const m = state.map;
        const mx = (rx - m.left) / m.regionWidth, my = (ry - m.top) / m.regionHeight;
        if (mx < 0 || mx > 1 || my < 0 || my > 1) {
            state.readout.textContent = `x ${(rx * 100).toFixed(1)}%, y ${(ry * 100).toFixed(1)}%: outside the model's view`;
            delete state.readout.dataset.raw;
            delete state.readout.dataset.normalised;
            return;
        }
        const raw = sample(m, mx, my);
        const span = state.map.max - state.map.min;
        const normalised = span > 1e-12 ? Math.min(Math.max((raw - state.map.min) / span, 0), 1) : 0;
        state.readout.textContent =
            `x ${(rx * 100).toFixed(1)}%, y ${(ry * 100).toFixed(1)}%: raw ${format(raw)}, normalised ${normalised.toFixed(3)}`;
        state.readout.dataset.raw = raw;
        state.readout.dataset.normalised = normalised;
    }

    return {
        // The theme the visitor chose (null: follow prefers-color-scheme); storage may be off (private mode).
        savedTheme() {
            try { return localStorage.getItem('camstudio-theme'); } catch { return null; }
        },

        saveTheme(theme) {
            try { localStorage.setItem('camstudio-theme', theme); } catch { /* not kept, still applied */ }
        },

        setReadoutMap(frame, readout, map) {
            if (!frame) return;
            if (!frame._camStudio) {
                frame._camStudio = {};
                frame.addEventListener('mousemove', onMove);
            }
            frame._camStudio.map = map;
            frame._camStudio.readout = readout;
        },

        clearReadoutMap(frame) {
            if (frame && frame._camStudio) {
                frame.removeEventListener('mousemove', onMove);
                delete frame._camStudio;
            }
        },

        // The Trust tab's pointing-game box: the rubber band is drawn here (no round trip per move); the box goes to
        // the server once, on release, as fractions of the image so the server turns it into photo pixels.
        attachBoxDrawing(frame, dotnet) {
            if (!frame || frame._camStudioBox) return;
            frame._camStudioBox = true;
            let start = null, draft = null;
            const relative = event => {
                const box = frame.querySelector('img').getBoundingClientRect();
                return {
                    x: Math.min(Math.max((event.clientX - box.left) / box.width, 0), 1),
                    y: Math.min(Math.max((event.clientY - box.top) / box.height, 0), 1),
                };
            };
            const place = (a, b) => {
                draft.style.left = `${Math.min(a.x, b.x) * 100}%`;
                draft.style.top = `${Math.min(a.y, b.y) * 100}%`;
                draft.style.width = `${Math.abs(b.x - a.x) * 100}%`;
                draft.style.height = `${Math.abs(b.y - a.y) * 100}%`;
            };
            frame.addEventListener('pointerdown', event => {
                if (event.button !== 0 || !frame.querySelector('img')) return;
                event.preventDefault();
                start = relative(event);
                draft = document.createElement('div');
                draft.className = 'trust-box trust-box-draft';
                frame.appendChild(draft);
                place(start, start);
                frame.setPointerCapture(event.pointerId);
            });
            frame.addEventListener('pointermove', event => {
                if (start) place(start, relative(event));
            });
            const finish = event => {
                if (!start) return;
                const end = relative(event), from = start;
                start = null;
                draft.remove();
                draft = null;
                // A click, not a drag: no box.
                const img = frame.querySelector('img').getBoundingClientRect();
                if (Math.abs(end.x - from.x) * img.width < 4 || Math.abs(end.y - from.y) * img.height < 4) return;
                dotnet.invokeMethodAsync('OnBoxDrawnAsync', from.x, from.y, end.x, end.y);
            };
            frame.addEventListener('pointerup', finish);
            frame.addEventListener('pointercancel', () => { start = null; if (draft) { draft.remove(); draft = null; } });
        },

        async download(fileName, contentType, streamReference) {
            const buffer = await streamReference.arrayBuffer();
            const url = URL.createObjectURL(new Blob([buffer], { type: contentType }));
            const anchor = document.createElement('a');
            anchor.href = url;
            anchor.download = fileName;
            document.body.appendChild(anchor);
            anchor.click();
            anchor.remove();
            setTimeout(() => URL.revokeObjectURL(url), 10000);
        },
    };
})();
