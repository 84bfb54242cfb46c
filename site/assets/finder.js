/* Enterprise finder: look an enterprise up by any two or more characters of its name or
 * its 统一社会信用代码, in small files fetched only when someone searches.
 *
 * The files (written by pipeline/site/records.py, finder_index):
 *   enterprises/find/meta.json     {count, chunk, shards}
 *   enterprises/find/b-<h>.json    {bigram: [enterprise numbers]} for the bigrams whose hash is h
 *   enterprises/find/n-<k>.json    [[key, name, code], ...] for enterprises k*chunk .. (k+1)*chunk-1
 * A query's bigrams give candidates (every bigram must occur); the names of the first
 * candidates are fetched and the whole query checked against them.  Nothing is loaded with
 * the page, so the page's weight does not grow with the number of enterprises.
 * Without JavaScript the form opens the directory of enterprises instead.
 */
(function () {
  "use strict";
  var form = document.getElementById("finder");
  var out = document.getElementById("finder-results");
  if (!form || !out || !window.fetch) return;
  var base = form.getAttribute("data-base") || "";
  var input = form.querySelector("input");
  var cache = {};
  var MAX_SHOWN = 50;
  var MAX_CANDIDATES = 400;

  function norm(s) {
    return s.normalize("NFKC").replace(/\s+/g, "").toUpperCase();
  }

  function hash(bigram, shards) {            // djb2 over UTF-16 code units, as records.bigram_hash
    var v = 5381;
    for (var i = 0; i < bigram.length; i++) v = (v * 33 + bigram.charCodeAt(i)) >>> 0;
    return v % shards;
  }

  function get(name) {
    if (!cache[name]) {
      cache[name] = fetch(base + "enterprises/find/" + name).then(function (r) {
        if (!r.ok) throw new Error(name + ": " + r.status);
        return r.json();
      });
    }
    return cache[name];
  }

  function say(text) {
    out.textContent = "";
    var p = document.createElement("p");
    p.textContent = text;
    out.appendChild(p);
  }

  function show(found, total) {
    out.textContent = "";
    var p = document.createElement("p");
    p.textContent = total > found.length ? "找到" + total + "个单位，显示前" + found.length + "个：" : "找到" + total + "个单位：";
    out.appendChild(p);
    var ul = document.createElement("ul");
    found.forEach(function (e) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = base + "enterprises/" + encodeURIComponent(e[0]) + "/";
      a.textContent = e[1];
      li.appendChild(a);
      if (e[2]) li.appendChild(document.createTextNode("（" + e[2] + "）"));
      ul.appendChild(li);
    });
    out.appendChild(ul);
  }

  function intersect(lists) {
    lists.sort(function (a, b) { return a.length - b.length; });
    var result = lists[0];
    for (var i = 1; i < lists.length && result.length; i++) {
      var other = new Set(lists[i]);
      result = result.filter(function (x) { return other.has(x); });
    }
    return result;
  }

  function search(raw) {
    var q = norm(raw);
    if (q.length < 2) return Promise.resolve(say("请至少输入两个字（或代码中的两位）。"));
    say("查找中……");
    return get("meta.json").then(function (meta) {
      var grams = [];
      for (var i = 0; i + 1 < q.length; i++) {
        var g = q.slice(i, i + 2);
        if (grams.indexOf(g) < 0) grams.push(g);
      }
      return Promise.all(grams.map(function (g) {
        return get("b-" + hash(g, meta.shards) + ".json").then(function (m) { return m[g] || []; });
      })).then(function (lists) {
        var candidates = intersect(lists).slice(0, MAX_CANDIDATES);
        var chunks = Array.from(new Set(candidates.map(function (n) { return Math.floor(n / meta.chunk); })));
        return Promise.all(chunks.map(function (k) { return get("n-" + k + ".json"); })).then(function (parts) {
          var byChunk = {};
          chunks.forEach(function (k, i) { byChunk[k] = parts[i]; });
          var found = candidates.map(function (n) { return byChunk[Math.floor(n / meta.chunk)][n % meta.chunk]; })
            .filter(function (e) { return norm(e[1] + e[2]).indexOf(q) >= 0; });
          if (!found.length) return say("没有找到。本站只收录有公示期内行政处罚或黑名单记录的单位。");
          show(found.slice(0, MAX_SHOWN), found.length);
        });
      });
    }).catch(function () {
      say("查找失败，请稍后再试，或从单位名录中查找。");
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    search(input.value);
  });
})();
