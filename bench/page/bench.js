// pchat-bench's page probe, loaded by bench.html as a classic script just before the widget's
// module script, so it runs first. It records, on the page's own clock (performance.now()):
//
// - tagAt: when the parser reached the widget's script tag (this script runs right before it);
//   definedAt: when <pomerium-chat> was registered; readyAt: when the element got
//   data-ready="true" (its server list loaded), seen by a MutationObserver.
// - Per chunk of the answer stream: ReadableStreamDefaultReader.prototype.read is wrapped so
//   the instant a chunk is handed to the widget is noted (start) with the number of text_delta
//   events it completes; a MutationObserver on the widget's shadow root notes the end of the
//   DOM update that chunk caused (observer callbacks run at the microtask checkpoint right
//   after the widget's synchronous handling of the chunk).
// - Per frame: a requestAnimationFrame loop changes the size of a 1-pixel probe element and a
//   ResizeObserver on it notes the time; rendering runs style and layout between the two, so
//   the difference is that frame's style + layout time (paint is not included).
//
// The bench drives it through WebDriver: __bench.ask(question), __bench.tokenStats(window,
// total), __bench.askMany(n, question), __bench.memory().
(() => {
  'use strict';
  const B = (window.__bench = {
    tagAt: performance.now(),
    definedAt: null,
    readyAt: null,
    tracking: false,
    tokensSeen: 0,
    chunks: [],
    frames: [],
    error: null,
  });

  customElements.whenDefined('pomerium-chat').then(() => {
    B.definedAt = performance.now();
  });
  const readyObserver = new MutationObserver(() => {
    const el = document.querySelector('pomerium-chat');
    if (el && el.dataset.ready === 'true' && B.readyAt === null) {
      B.readyAt = performance.now();
      readyObserver.disconnect();
    }
  });
  readyObserver.observe(document.documentElement, {
    subtree: true,
    attributes: true,
    attributeFilter: ['data-ready'],
  });

  // --- Chunks ---
  const pattern = new TextEncoder().encode('event: text_delta\n');
  let tail = new Uint8Array(0);
  // Counts the pattern in tail + chunk, only where a match ends inside the chunk, so a frame
  // split across two chunks is counted once.
  const countDeltas = (chunk) => {
    const bytes = new Uint8Array(tail.length + chunk.length);
    bytes.set(tail, 0);
    bytes.set(chunk, tail.length);
    let n = 0;
    outer: for (let i = 0; i + pattern.length <= bytes.length; i++) {
      for (let j = 0; j < pattern.length; j++) {
        if (bytes[i + j] !== pattern[j]) continue outer;
      }
      if (i + pattern.length > tail.length) n++;
    }
    tail = bytes.slice(Math.max(0, bytes.length - (pattern.length - 1)));
    return n;
  };
  let pending = null;
  const read = ReadableStreamDefaultReader.prototype.read;
  ReadableStreamDefaultReader.prototype.read = function () {
    return read.call(this).then((result) => {
      if (B.tracking && !result.done && result.value instanceof Uint8Array) {
        const tokens = countDeltas(result.value);
        pending = { first: B.tokensSeen, tokens, start: performance.now(), end: null };
        B.tokensSeen += tokens;
      }
      return result;
    });
  };
  const endChunk = () => {
    if (pending !== null) {
      pending.end = performance.now();
      B.chunks.push(pending);
      pending = null;
    }
  };

  // --- Frames ---
  const probe = document.createElement('div');
  probe.style.cssText = 'position:fixed;left:0;top:0;width:1px;height:1px;visibility:hidden';
  let rafAt = 0;
  let flip = false;
  new ResizeObserver(() => {
    if (B.tracking && rafAt > 0) B.frames.push({ start: rafAt, end: performance.now() });
  }).observe(probe);
  const frame = () => {
    flip = !flip;
    probe.style.width = flip ? '2px' : '1px';
    rafAt = performance.now();
    requestAnimationFrame(frame);
  };
  document.addEventListener('DOMContentLoaded', () => {
    document.body.appendChild(probe);
    requestAnimationFrame(frame);
  });

  // --- Driving the widget ---
  const root = () => document.querySelector('pomerium-chat')?.shadowRoot ?? null;
  const assistantMessages = () =>
    root()?.querySelectorAll('[data-role="message"][data-author="assistant"]') ?? [];
  // The conversation's length: the log keeps only the newest exchanges in the DOM.
  const answerCount = () => Number(root()?.querySelector('[data-role="log"]')?.dataset.count ?? 0);
  let rootObserver = null;
  const send = (question) => {
    const r = root();
    const input = r.querySelector('textarea[data-role="input"]');
    input.value = question;
    input.dispatchEvent(new Event('input', { bubbles: true }));
    r.querySelector('button[data-role="send"]').click();
  };
  // Resolves with the last answer's data-complete once it has one, after the n-th answer.
  const completion = (n, timeoutMs) =>
    new Promise((resolve, reject) => {
      const deadline = performance.now() + timeoutMs;
      const check = () => {
        const msgs = assistantMessages();
        const last = msgs[msgs.length - 1];
        if (answerCount() >= n && last && last.dataset.complete) return resolve(last.dataset.complete);
        if (performance.now() > deadline) return reject(new Error('no complete answer in time'));
        setTimeout(check, 5);
      };
      check();
    });

  /** Starts one tracked question; sets B.answer to data-complete (or B.error). */
  B.ask = (question) => {
    if (rootObserver === null) {
      rootObserver = new MutationObserver(endChunk);
      rootObserver.observe(root(), {
        subtree: true,
        childList: true,
        characterData: true,
        attributes: true,
      });
    }
    B.answer = null;
    B.tokensSeen = 0;
    B.chunks = [];
    B.frames = [];
    tail = new Uint8Array(0);
    B.tracking = true;
    const n = answerCount() + 1;
    send(question);
    completion(n, 300000).then(
      (complete) => {
        B.tracking = false;
        B.answer = complete;
      },
      (err) => {
        B.tracking = false;
        B.error = String(err);
      },
    );
  };

  /** Main-thread cost of the chunks within the first and the last `window` tokens. */
  B.tokenStats = (window, total) => {
    const stats = (from, to) => {
      // Only chunks wholly inside the window: a burst chunk that crosses its edge would
      // spread one chunk's cost over hundreds of tokens.
      const chunks = B.chunks.filter((c) => c.tokens > 0 && c.first >= from && c.first + c.tokens <= to);
      if (chunks.length === 0) return null;
      const start = chunks[0].start;
      const end = chunks[chunks.length - 1].end;
      const tokens = chunks.reduce((s, c) => s + c.tokens, 0);
      const script = chunks.reduce((s, c) => s + (c.end - c.start), 0);
      const frames = B.frames.filter((f) => f.start >= start && f.start <= end);
      const layout = frames.reduce((s, f) => s + (f.end - f.start), 0);
      const durations = chunks.map((c) => c.end - c.start).sort((a, b) => a - b);
      const chunkP50 = durations[Math.floor(durations.length / 2)];
      return { tokens, chunks: chunks.length, frames: frames.length, script, layout, wall: end - start, chunkP50 };
    };
    return {
      seen: B.tokensSeen,
      first: stats(0, window),
      last: stats(total - window, total),
    };
  };

  /** Asks `n` questions one after another; sets B.manyDone (or B.error). */
  B.askMany = async (n, question) => {
    B.manyDone = false;
    try {
      for (let i = 0; i < n; i++) {
        const count = answerCount() + 1;
        send(question);
        const complete = await completion(count, 60000);
        if (complete !== 'true') throw new Error(`answer ${i + 1} ended ${complete}`);
      }
      B.manyDone = true;
    } catch (err) {
      B.error = String(err);
    }
  };

  /** JS heap (after a full GC when --expose-gc is on), the widget's wasm memory, DOM size. */
  B.memory = async () => {
    if (typeof window.gc === 'function') {
      window.gc();
      window.gc();
    }
    const widget = await import('/widget/widget.js');
    const exports = await widget.default();
    return {
      heap: performance.memory ? performance.memory.usedJSHeapSize : null,
      wasm: exports && exports.memory ? exports.memory.buffer.byteLength : null,
      nodes: root()?.querySelectorAll('*').length ?? null,
      answers: answerCount(),
    };
  };
})();
