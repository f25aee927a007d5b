// regwarden report viewer: plain JavaScript, no dependencies, no network. Every value from the scan
// reaches the page through textContent or setAttribute, never as markup.
(function () {
  "use strict";
  var SVG = "http" + "://www.w3.org/2000/svg"; // the SVG namespace name (never fetched)
  var D = JSON.parse(document.getElementById("data").textContent);
  var R = unpack(D);
  window.regwarden = { report: R };

  // The page carries report.json in a packed form (a node table, per-rule constants once); this
  // restores exactly the shape of report.json.
  function unpack(P) {
    function acts(mask) { return P.actions.filter(function (_, i) { return mask & (1 << i); }); }
    var S = P.strings;
    var N = P.nodes.map(function (n) { return [n[0], n[1], S[n[2]], S[n[3]]]; });
    P.nodes = N;
    var out = {}, k;
    for (k in P.meta) if (Object.prototype.hasOwnProperty.call(P.meta, k)) out[k] = P.meta[k];
    out.findings = P.findings.map(function (f) {
      var rule = P.rules[f[1]], s = N[f[4]];
      return {
        id: f[0], rule: f[1], rule_title: rule[0], control_title: rule[1], severity: f[2], status: f[3],
        subject: { id: s[0], name: s[1], kind: s[2] || null, provider: s[3] },
        message: f[5], blast_radius: f[6],
        path: f[7].map(function (p) { return { src: N[p[0]][0], dst: N[p[1]][0], kind: S[p[2]], actions: acts(p[3]), via: p[4] }; }),
        owasp_nhi: rule[3], nist_csf: rule[4], remediation: rule[2],
        location: f[8] ? { file: f[8][0], line: f[8][1] } : null, suppression: f[9],
        facts: f[10].map(function (x) { return { text: x[0], files: x[1].map(function (i) { return S[i]; }) }; }),
        owners: f[11].map(function (o) { return { name: o[0], source: S[o[1]], via: o[2], node: N[o[3]][0], files: o[4].map(function (i) { return S[i]; }) }; }),
        owners_not_collected: f[12]
      };
    });
    out.controls = P.meta.controls;
    out.identities = P.identities.map(function (i) {
      var n = N[i[0]];
      return { id: n[0], name: n[1], kind: n[2], provider: n[3], subtype: S[i[1]], blast_radius: i[2], reach_set: "R" + (i[3] + 1) };
    });
    out.reach_sets = P.reach_sets.map(function (rs, k) {
      var br = [];
      for (var j = 0; j < rs[1].length; j += 2) br.push({ resource: N[rs[1][j]][0], actions: acts(rs[1][j + 1]) });
      return { id: "R" + (k + 1), holders: rs[0], blast_radius: br };
    });
    out.resources = P.resources.map(function (r) {
      var n = N[r[0]];
      return { id: n[0], name: n[1], who_can: r[1] };
    });
    return out;
  }
  var SEVERITIES = ["critical", "high", "medium", "low", "info"];
  var ACTIONS = ["READ", "PUBLISH", "PROMOTE", "DEPLOY", "ADMIN"];
  var PAGE = 50;
  var LIST_PAGE = 30;
  var EGO_CAP = 16;

  // -- small DOM helpers ------------------------------------------------------------------------
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function add(parent) {
    for (var i = 1; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined) continue;
      parent.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    }
    return parent;
  }
  function svg(tag, attrs) {
    var e = document.createElementNS(SVG, tag);
    for (var k in attrs) if (Object.prototype.hasOwnProperty.call(attrs, k)) e.setAttribute(k, String(attrs[k]));
    return e;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function short(s, n) { s = String(s); return s.length > n ? s.slice(0, n - 1) + "…" : s; }
  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }

  // -- names ------------------------------------------------------------------------------------
  var NAMES = Object.create(null);
  D.nodes.forEach(function (n) { NAMES[n[0]] = { name: n[1], kind: n[2], provider: n[3] }; });
  var IDENT = Object.create(null);
  R.identities.forEach(function (i) { IDENT[i.id] = i; NAMES[i.id] = { name: i.name, kind: i.kind, provider: i.provider }; });
  var RES = Object.create(null);
  R.resources.forEach(function (r) { RES[r.id] = r; });
  var SETS = Object.create(null);
  R.reach_sets.forEach(function (s) { SETS[s.id] = s; });
  // Who can reach a resource: the identities whose reach set reaches it (report.json keeps each
  // distinct blast radius once, so the inverse is built here, once, when a registry is first shown).
  var REACHED_BY = null, HOLDERS = null;
  function whoCan(rid, action) {
    if (REACHED_BY === null) {
      REACHED_BY = Object.create(null); HOLDERS = Object.create(null);
      R.reach_sets.forEach(function (s) {
        s.blast_radius.forEach(function (r) { (REACHED_BY[r.resource] = REACHED_BY[r.resource] || []).push([s.id, r.actions]); });
      });
      R.identities.forEach(function (i) { (HOLDERS[i.reach_set] = HOLDERS[i.reach_set] || []).push(i.id); });
    }
    var out = [];
    (REACHED_BY[rid] || []).forEach(function (e) { if (e[1].indexOf(action) >= 0) out = out.concat(HOLDERS[e[0]] || []); });
    return out.sort();
  }
  function info(id) { return NAMES[id] || { name: id, kind: "", provider: "" }; }
  function ownersOf(id) { return D.owners[id] || []; }
  // A finding's owners: its subject's, else the first node of its path that has any (report.json says which).
  function findingOwners(f) { return uniq(f.owners.map(function (o) { return o.name; })); }

  function actionTags(actions) {
    var span = el("span");
    actions.forEach(function (a) { add(span, el("span", "action a-" + a, a)); });
    return span;
  }
  function sevBadge(sev) { return el("span", "badge sev-" + sev, sev); }

  // A pager: "Previous · page x of y · Next" that calls draw(page).
  function pager(container, total, size, page, draw) {
    clear(container);
    var pages = Math.max(1, Math.ceil(total / size));
    if (pages <= 1) return;
    var prev = el("button", null, "Previous");
    prev.disabled = page <= 0;
    prev.addEventListener("click", function () { draw(page - 1); });
    var next = el("button", null, "Next");
    next.disabled = page >= pages - 1;
    next.addEventListener("click", function () { draw(page + 1); });
    add(container, prev, el("span", "muted", "page " + (page + 1) + " of " + pages), next);
  }

  // -- evidence path as a small graph ------------------------------------------------------------
  function pathGraph(path) {
    var hops = [path[0].src].concat(path.map(function (s) { return s.dst; }));
    var W = 150, H = 46, GAP = 100, top = 22;
    var width = hops.length * W + (hops.length - 1) * GAP + 4;
    var root = svg("svg", { width: width, height: top + H + 8, viewBox: "0 0 " + width + " " + (top + H + 8), role: "img" });
    add(root, svg("title", {}));
    root.firstChild.textContent = "Evidence path";
    hops.forEach(function (id, i) {
      var x = 2 + i * (W + GAP), n = info(id);
      var g = svg("g", { "class": "node k-" + (n.kind || "unknown") });
      add(g, svg("rect", { x: x, y: top, width: W, height: H, rx: 5 }));
      var t1 = svg("text", { x: x + 8, y: top + 18 }); t1.textContent = short(n.name, 22);
      var t2 = svg("text", { x: x + 8, y: top + 34, "class": "edge-label" }); t2.textContent = short((n.kind || "?") + " · " + (n.provider || ""), 26);
      var tip = svg("title", {}); tip.textContent = n.name + "\n" + id;
      add(g, tip, t1, t2);
      add(root, g);
      if (i < path.length) {
        var s = path[i], x1 = x + W, x2 = x + W + GAP, y = top + H / 2;
        add(root, svg("line", { x1: x1 + 2, y1: y, x2: x2 - 4, y2: y }));
        add(root, svg("path", { d: "M" + (x2 - 10) + " " + (y - 4) + " L" + (x2 - 3) + " " + y + " L" + (x2 - 10) + " " + (y + 4), "class": "edge" }));
        var lab = svg("text", { x: x1 + 6, y: y - 6, "class": "edge-label" });
        lab.textContent = short(s.kind + (s.actions.length ? " " + s.actions.join(",") : ""), 16);
        var ltip = svg("title", {}); ltip.textContent = s.kind + (s.via ? " via " + s.via : "");
        add(lab, ltip);
        add(root, lab);
      }
    });
    return add(el("div", "svgwrap"), root);
  }

  function pathList(path) {
    var ol = el("ol", "path");
    add(ol, add(el("li"), info(path[0].src).name));
    path.forEach(function (s) {
      var li = el("li");
      add(li, el("span", "muted", s.kind + (s.actions.length ? " [" + s.actions.join(", ") + "]" : "") + (s.via ? " via " + s.via : "") + " → "), info(s.dst).name);
      add(ol, li);
    });
    return ol;
  }

  // -- ego graph: a node and up to EGO_CAP neighbours, "+N more" --------------------------------
  function egoGraph(centerId, neighbours, onPick) {
    var shown = neighbours.slice(0, EGO_CAP), more = neighbours.length - shown.length;
    var S = 420, WIDE = 640, C = S / 2, CX = WIDE / 2, RAD = 150;
    var root = svg("svg", { width: WIDE, height: S, viewBox: "0 0 " + WIDE + " " + S, role: "img" });
    var ttl = svg("title", {}); ttl.textContent = "Neighbours of " + info(centerId).name; add(root, ttl);
    var slots = shown.length + (more > 0 ? 1 : 0);
    shown.forEach(function (nb, i) {
      var ang = (2 * Math.PI * i) / Math.max(slots, 1) - Math.PI / 2;
      var x = CX + RAD * Math.cos(ang), y = C + RAD * Math.sin(ang);
      add(root, svg("line", { x1: CX, y1: C, x2: x, y2: y }));
      var n = info(nb.id);
      var g = svg("g", { "class": "node k-" + (n.kind || "unknown") + (onPick ? " clickable" : "") });
      add(g, svg("circle", { cx: x, cy: y, r: 9 }));
      var t = svg("text", { x: x + (Math.cos(ang) < -0.2 ? -12 : 12), y: y + 4, "text-anchor": Math.cos(ang) < -0.2 ? "end" : "start" });
      t.textContent = short(n.name, 24);
      var tip = svg("title", {}); tip.textContent = n.name + "\n" + nb.id + (nb.label ? "\n" + nb.label : "");
      add(g, tip, t);
      if (onPick) g.addEventListener("click", function () { onPick(nb.id); });
      add(root, g);
    });
    if (more > 0) {
      var ang2 = (2 * Math.PI * shown.length) / slots - Math.PI / 2;
      var m = svg("text", { x: CX + RAD * Math.cos(ang2), y: C + RAD * Math.sin(ang2), "text-anchor": "middle", "class": "more" });
      m.textContent = "+" + more + " more";
      add(root, m);
    }
    var cn = info(centerId);
    var cg = svg("g", { "class": "node center k-" + (cn.kind || "unknown") });
    add(cg, svg("circle", { cx: CX, cy: C, r: 14 }));
    var ct = svg("text", { x: CX, y: C + 30, "text-anchor": "middle" }); ct.textContent = short(cn.name, 30);
    add(cg, ct);
    add(root, cg);
    return add(el("div", "svgwrap"), root);
  }

  // -- findings -----------------------------------------------------------------------------------
  var F = R.findings;
  var HAY = null; // lower-cased search text per finding, built on first search
  // group: "" (a list of findings), "subject" or "owner"
  var state = { severity: "", control: "", provider: "", owner: "", status: "", q: "", page: 0, printing: false, group: "" };
  var filtered = F.map(function (_, i) { return i; });

  function option(select, value, label) { var o = el("option", null, label); o.value = value; select.appendChild(o); }
  function selectFilter(label, key, values) {
    var wrap = el("label", null, label);
    var s = el("select");
    s.setAttribute("data-filter", key);
    option(s, "", "all");
    values.forEach(function (v) { option(s, v[0], v[1]); });
    s.addEventListener("change", function () { state[key] = s.value; state.page = 0; applyFilters(); });
    return add(wrap, s);
  }
  function uniq(list) { return Array.from(new Set(list)).sort(); }

  function buildFilters() {
    var box = document.getElementById("finding-filters");
    var providers = uniq(F.map(function (f) { return f.subject.provider; }).filter(Boolean));
    var owners = [];
    F.forEach(function (f) { owners = owners.concat(findingOwners(f)); });
    owners = uniq(owners);
    add(box,
      selectFilter("Severity", "severity", SEVERITIES.map(function (s) { return [s, s]; })),
      selectFilter("Control", "control", R.controls.map(function (c) { return [c.id, c.id + " " + short(c.title, 40)]; })),
      selectFilter("Provider", "provider", providers.map(function (p) { return [p, p]; })),
      selectFilter("Owner", "owner", [["-", "(no owner)"]].concat(owners.map(function (o) { return [o, o]; }))),
      selectFilter("Status", "status", [["open", "open"], ["suppressed", "suppressed"]]));
    var lab = el("label", null, "Search");
    var q = el("input");
    q.type = "search";
    q.id = "finding-search";
    q.placeholder = "name, id, message, rule…";
    var timer = null;
    q.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { state.q = q.value.trim().toLowerCase(); state.page = 0; applyFilters(); }, 120);
    });
    add(box, add(lab, q));
    // One action (or image, or "outsiders of a repository") beside many publishing jobs is one finding
    // per job: grouped, the list reads "this action runs beside 14 publish jobs".
    // "What does team X have to fix": one group per owner (a finding two teams own is in both).
    var boxes = [];
    [["finding-group", "Group by subject ", "subject"], ["finding-group-owner", "Group by owner ", "owner"]].forEach(function (g) {
      var lab = el("label", null, g[1]);
      var cb = el("input");
      cb.type = "checkbox";
      cb.id = g[0];
      cb.addEventListener("change", function () {
        boxes.forEach(function (other) { if (other !== cb) other.checked = false; });
        state.group = cb.checked ? g[2] : "";
        state.page = 0;
        drawFindings();
      });
      boxes.push(cb);
      add(box, add(lab, cb));
    });
  }

  function groupsOf(indices) {
    var order = [], by = Object.create(null);
    function put(k, i) {
      if (!by[k]) { by[k] = []; order.push(k); }
      by[k].push(i);
    }
    indices.forEach(function (i) {
      if (state.group === "owner") {
        var o = findingOwners(F[i]);
        if (!o.length) put("", i);
        o.forEach(function (name) { put("=" + name, i); });
      } else {
        put(F[i].subject.id, i);
      }
    });
    return order.map(function (k) { return { key: k, members: by[k] }; });
  }

  function worstOf(members) {
    return members.reduce(function (w, i) {
      return SEVERITIES.indexOf(F[i].severity) < SEVERITIES.indexOf(w) ? F[i].severity : w;
    }, F[members[0]].severity);
  }

  function ownerGroupItem(group) {
    var members = group.members, worst = worstOf(members);
    var d = el("details", "finding-group owner-group sev-" + worst);
    d.setAttribute("data-owner", group.key ? group.key.slice(1) : "");
    var s = el("summary");
    add(s, sevBadge(worst), " ", el("strong", null, group.key ? group.key.slice(1) : "(no owner)"), " — ",
      el("span", "group-count", plural(members.length, "finding") + " to fix"));
    add(d, s);
    return fillOnOpen(d, members);
  }

  // A group's cards are drawn when it is first opened: thousands of findings stay cheap to list.
  function fillOnOpen(d, members) {
    var filled = false;
    d.addEventListener("toggle", function () {
      if (d.open && !filled) {
        filled = true;
        members.forEach(function (i) { add(d, findingItem(F[i])); });
      }
    });
    return d;
  }

  function groupItem(group) {
    if (state.group === "owner") return ownerGroupItem(group);
    var members = group.members;
    var first = F[members[0]];
    var worst = worstOf(members);
    var d = el("details", "finding-group sev-" + worst);
    var s = el("summary");
    var jobs = members.filter(function (i) { return F[i].path.length && F[i].path[0].src === first.subject.id; }).length;
    var what = jobs === members.length && jobs > 1 ? "runs beside " + plural(jobs, "job") + " that can publish" : plural(members.length, "finding");
    add(s, sevBadge(worst), " ", el("strong", null, first.subject.name), " — ", el("span", "group-count", what));
    add(d, s);
    return fillOnOpen(d, members);
  }

  function haystack(i) {
    if (!HAY) {
      HAY = F.map(function (f) {
        return [f.id, f.rule, f.control_title, f.subject.name, f.subject.id, f.message, f.location ? f.location.file : "", findingOwners(f).join(" ")].join("\n").toLowerCase();
      });
    }
    return HAY[i];
  }

  function applyFilters() {
    var out = [];
    for (var i = 0; i < F.length; i++) {
      var f = F[i];
      if (state.severity && f.severity !== state.severity) continue;
      if (state.control && f.rule !== state.control) continue;
      if (state.provider && f.subject.provider !== state.provider) continue;
      if (state.status && f.status !== state.status) continue;
      if (state.owner) {
        var o = findingOwners(f);
        if (state.owner === "-" ? o.length > 0 : o.indexOf(state.owner) < 0) continue;
      }
      if (state.q && haystack(i).indexOf(state.q) < 0) continue;
      out.push(i);
    }
    filtered = out;
    drawFindings();
  }

  function seen(f) {
    var h = D.history && D.history.findings ? D.history.findings[f.id] : null;
    if (!h) return "no previous scan recorded";
    return "first seen " + (h.first_seen || "?") + " · last seen " + (h.last_seen || "?");
  }

  function row(dl, term, value) {
    add(dl, el("dt", null, term));
    var dd = el("dd");
    if (typeof value === "string") dd.textContent = value; else add(dd, value);
    add(dl, dd);
  }

  function findingBody(f) {
    var div = el("div");
    add(div, el("p", null, f.message));
    var dl = el("dl", "meta");
    row(dl, "Rule", f.rule + " — " + f.rule_title);
    var subj = el("span");
    add(subj, f.subject.name + " ", el("span", "muted", "(" + (f.subject.kind || "unknown") + ", " + f.subject.provider + ") "), el("code", null, f.subject.id));
    row(dl, "Subject", subj);
    row(dl, "Owner", ownerCell(f));
    row(dl, "Blast radius", String(f.blast_radius) + " (resource, action) pairs");
    if (f.facts.length) {
      var facts = el("ul", "facts");
      f.facts.forEach(function (x) {
        var li = el("li", null, x.text);
        if (x.files.length) add(li, " ", el("span", "muted", "— "), add(el("code"), x.files.join(", ")));
        add(facts, li);
      });
      row(dl, "Facts", facts);
    }
    if (f.path.length) {
      var p = el("div");
      add(p, pathGraph(f.path), pathList(f.path));
      row(dl, "Evidence path", p);
    }
    row(dl, "Remediation", f.remediation || "—");
    row(dl, "OWASP NHI", f.owasp_nhi.map(function (x) { return x + (D.owasp_nhi[x] ? " " + D.owasp_nhi[x] : ""); }).join(", ") || "—");
    row(dl, "NIST CSF 2.0", f.nist_csf.join(", ") || "—");
    if (f.location) row(dl, "Evidence file", add(el("code"), f.location.file + (f.location.line !== null ? ":" + f.location.line : "")));
    row(dl, "Seen", seen(f));
    if (f.suppression) row(dl, "Suppression", f.suppression);
    row(dl, "Finding id", add(el("code"), f.id));
    add(div, dl);
    return div;
  }

  // The owners, what says so, and whose they are when not the subject's (a job's, for an action it runs).
  function ownerCell(f) {
    if (!f.owners.length) return f.owners_not_collected ? "not collected (" + f.owners_not_collected + " is missing)" : "unknown";
    var span = el("span", "owners");
    add(span, findingOwners(f).join(", "));
    var how = uniq(f.owners.map(function (o) { return o.via; })).join("; ");
    add(span, " ", el("span", "muted", "(" + how + (f.owners[0].node !== f.subject.id ? "; owner of " + info(f.owners[0].node).name : "") + ")"));
    return span;
  }

  function findingItem(f) {
    var d = el("details", "finding sev-" + f.severity);
    d.setAttribute("data-id", f.id);
    var s = el("summary");
    add(s, sevBadge(f.severity), " ", el("span", "rule", f.rule), " " + f.control_title + " — ", el("strong", null, f.subject.name));
    if (f.status === "suppressed") add(s, " ", el("span", "badge suppressed", "suppressed"));
    add(s, " ", el("span", "muted", "· " + f.subject.provider + " · blast radius " + f.blast_radius +
      " · owner " + (findingOwners(f).join(", ") || (f.owners_not_collected ? "not collected" : "unknown"))));
    if (f.path.length && f.path[0].src === f.subject.id && f.path[0].kind === "runs_code_of") {
      add(s, " ", el("span", "muted", "· in " + info(f.path[0].dst).name));
    }
    add(d, s);
    var filled = false;
    d.addEventListener("toggle", function () {
      if (d.open && !filled) { filled = true; add(d, findingBody(f)); }
    });
    return d;
  }

  function drawFindings(page) {
    if (page !== undefined) state.page = page;
    var list = document.getElementById("finding-list");
    clear(list);
    var size = state.printing ? Math.min(filtered.length, 1000) : PAGE;
    var start = state.printing ? 0 : state.page * PAGE;
    document.getElementById("finding-count").textContent =
      filtered.length === F.length ? plural(F.length, "finding") : filtered.length + " of " + plural(F.length, "finding") + " match";
    if (state.group && !state.printing) {
      var groups = groupsOf(filtered);
      groups.slice(state.page * PAGE, state.page * PAGE + PAGE).forEach(function (g) { add(list, groupItem(g)); });
      if (!groups.length) add(list, el("p", "muted", "No finding matches these filters."));
      pager(document.getElementById("finding-pager"), groups.length, PAGE, state.page, drawFindings);
      return;
    }
    var slice = filtered.slice(start, start + size);
    if (!slice.length) add(list, el("p", "muted", F.length ? "No finding matches these filters." : "No findings."));
    slice.forEach(function (i, k) {
      var item = findingItem(F[i]);
      if (state.printing || (state.page === 0 && k < 3 && SEVERITIES.indexOf(F[i].severity) < 2)) item.open = true;
      add(list, item);
      if (item.open) item.dispatchEvent(new Event("toggle"));
    });
    pager(document.getElementById("finding-pager"), state.printing ? 0 : filtered.length, PAGE, state.page, drawFindings);
  }

  function setFilter(key, value) {
    var s = document.querySelector('select[data-filter="' + key + '"]');
    if (s) s.value = value;
    state[key] = value;
    state.page = 0;
    applyFilters();
  }

  // -- a searchable, paged list pane -------------------------------------------------------------
  function listPane(container, items, label, text, size, onPick) {
    var q = el("input");
    q.type = "search";
    q.placeholder = "filter " + label + "…";
    var count = el("p", "muted");
    var ul = el("ul");
    var pg = el("div", "pager");
    add(container, q, count, ul, pg);
    var shown = items, selected = null;
    function draw(page) {
      clear(ul);
      shown.slice(page * LIST_PAGE, (page + 1) * LIST_PAGE).forEach(function (it) {
        var li = el("li");
        if (it.id === selected) li.className = "selected";
        var b = el("button", "link", it.name);
        b.title = it.id;
        b.addEventListener("click", function () { selected = it.id; onPick(it.id); draw(page); });
        add(li, el("span", "size", it.size), b, el("div", "muted", it.sub));
        add(ul, li);
      });
      count.textContent = shown.length === items.length ? plural(items.length, label) : shown.length + " of " + plural(items.length, label);
      pager(pg, shown.length, LIST_PAGE, page, draw);
    }
    q.addEventListener("input", function () {
      var v = q.value.trim().toLowerCase();
      shown = v ? items.filter(function (it) { return text(it).indexOf(v) >= 0; }) : items;
      draw(0);
    });
    draw(0);
    return { select: function (id) { selected = id; draw(0); } };
  }

  // A paged table of rows inside a detail panel.
  function pagedRows(container, rows, renderRow) {
    var ul = el("ul", "rows"), pg = el("div", "pager");
    add(container, ul, pg);
    function draw(page) {
      clear(ul);
      rows.slice(page * PAGE, (page + 1) * PAGE).forEach(function (r) { add(ul, renderRow(r)); });
      pager(pg, rows.length, PAGE, page, draw);
    }
    draw(0);
  }

  function nodeHeader(container, id) {
    var n = info(id);
    add(container, el("h3", null, n.name));
    var p = el("p", "muted");
    add(p, (n.kind || "?") + " · " + (n.provider || "?") + " · ", el("code", null, id));
    add(container, p);
    var o = ownersOf(id);
    if (o.length) add(container, el("p", null, "Owner: " + o.join(", ")));
  }

  var identityPane = null, registryPane = null;

  function showIdentity(id) {
    var i = IDENT[id];
    var box = document.getElementById("identity-detail");
    clear(box);
    if (!i) { add(box, el("p", "muted", "Nothing recorded for " + id)); return; }
    nodeHeader(box, id);
    var radius = SETS[i.reach_set].blast_radius;
    add(box, el("p", null, "Reaches " + plural(radius.length, "resource") + " (" + i.blast_radius + " resource-action pairs)."));
    var nbs = radius.slice().sort(function (a, b) { return b.actions.length - a.actions.length || (a.resource < b.resource ? -1 : 1); })
      .map(function (r) { return { id: r.resource, label: r.actions.join(",") }; });
    add(box, egoGraph(id, nbs, function (rid) { if (RES[rid]) openRegistry(rid); }));
    pagedRows(box, radius, function (r) {
      var li = el("li");
      var name = info(r.resource).name;
      if (RES[r.resource]) {
        var b = el("button", "link", name);
        b.addEventListener("click", function () { openRegistry(r.resource); });
        add(li, b);
      } else add(li, name);
      add(li, " ", actionTags(r.actions), " ", el("code", "muted", r.resource));
      return li;
    });
  }

  var registryAction = "PUBLISH";
  function showRegistry(id) {
    var r = RES[id];
    var box = document.getElementById("registry-detail");
    clear(box);
    if (!r) { add(box, el("p", "muted", "Nothing recorded for " + id)); return; }
    nodeHeader(box, id);
    var tabs = el("div", "tabs");
    var acts = ACTIONS.filter(function (a) { return r.who_can[a]; });
    if (acts.indexOf(registryAction) < 0) registryAction = acts[0];
    acts.forEach(function (a) {
      var b = el("button", null, "who can " + a + " (" + r.who_can[a] + ")");
      b.setAttribute("aria-pressed", a === registryAction ? "true" : "false");
      b.addEventListener("click", function () { registryAction = a; showRegistry(id); });
      add(tabs, b);
    });
    add(box, tabs);
    var who = whoCan(id, registryAction);
    add(box, el("p", null, who.length + (who.length === 1 ? " identity" : " identities") + " can " + registryAction + " here."));
    add(box, egoGraph(id, who.map(function (w) { return { id: w, label: registryAction }; }), function (wid) { if (IDENT[wid]) openIdentity(wid); }));
    pagedRows(box, who, function (w) {
      var li = el("li"), n = info(w);
      if (IDENT[w]) {
        var b = el("button", "link", n.name);
        b.addEventListener("click", function () { openIdentity(w); });
        add(li, b);
      } else add(li, n.name);
      add(li, " ", el("span", "muted", (n.kind || "?") + " · " + (n.provider || "?") + " "), el("code", "muted", w));
      var o = ownersOf(w);
      if (o.length) add(li, el("span", "muted", " · owner " + o.join(", ")));
      return li;
    });
  }

  function openIdentity(id) { identityPane.select(id); showIdentity(id); document.getElementById("identities").scrollIntoView(); }
  function openRegistry(id) { registryPane.select(id); showRegistry(id); document.getElementById("registries").scrollIntoView(); }

  function buildPanels() {
    var ids = R.identities.map(function (i) {
      return { id: i.id, name: i.name, size: i.blast_radius, sub: i.kind + " · " + i.provider + (i.subtype ? " · " + i.subtype : "") };
    }).sort(function (a, b) { return b.size - a.size || (a.id < b.id ? -1 : 1); });
    identityPane = listPane(document.getElementById("identity-list"), ids, "identity", function (it) { return (it.name + "\n" + it.id + "\n" + it.sub).toLowerCase(); }, LIST_PAGE, showIdentity);
    var res = R.resources.map(function (r) {
      var writers = r.who_can.PUBLISH || 0;
      return { id: r.id, name: r.name, size: writers, sub: "publishers: " + writers + " · " + ACTIONS.filter(function (a) { return r.who_can[a]; }).join(", ") };
    }).sort(function (a, b) { return b.size - a.size || (a.id < b.id ? -1 : 1); });
    registryPane = listPane(document.getElementById("registry-list"), res, "resource", function (it) { return (it.name + "\n" + it.id).toLowerCase(); }, LIST_PAGE, showRegistry);
    if (ids.length) { identityPane.select(ids[0].id); showIdentity(ids[0].id); }
    if (res.length) { registryPane.select(res[0].id); showRegistry(res[0].id); }
  }

  // -- trend and drift ------------------------------------------------------------------------------
  function buildTrend() {
    var prev = D.history && D.history.previous;
    if (!prev) return;
    var box = document.getElementById("trend");
    clear(box);
    add(box, el("p", null, "Compared with the scan of " + (prev.generated_at || "?") + ":"));
    var t = el("table"), head = el("tr");
    ["Severity", "Previous", "Now", "Change"].forEach(function (h) { add(head, el("th", null, h)); });
    add(t, head);
    SEVERITIES.forEach(function (s) {
      var before = (prev.findings_by_severity || {})[s] || 0, now = R.summary.findings_by_severity[s] || 0;
      var tr = el("tr");
      add(tr, el("td", null, s), el("td", null, before), el("td", null, now), el("td", null, (now - before > 0 ? "+" : "") + (now - before)));
      add(t, tr);
    });
    add(box, t);
  }

  function driftTable(box, drift, emptyText) {
    clear(box);
    if (!drift) { add(box, el("p", "muted", emptyText)); return; }
    // Every list in the drift object is a part (added / removed / changed, or the history's own
    // groups); each row shows its name and id, or its fields as text.
    var parts = Object.keys(drift).filter(function (k) { return Array.isArray(drift[k]); });
    if (!parts.length) { add(box, el("p", "muted", "No change.")); return; }
    parts.forEach(function (part) {
      var rows = drift[part];
      add(box, el("h4", null, part.replace(/_/g, " ") + " (" + rows.length + ")"));
      if (!rows.length) return;
      pagedRows(box, rows, function (r) {
        var li = el("li");
        if (r === null || typeof r !== "object") { li.textContent = String(r); return li; }
        var id = r.id || r.node || r.subject || "";
        add(li, el("strong", null, r.name || info(id).name || id || part), " ", el("span", "muted", (r.kind || r.rule || "") + " "), el("code", "muted", id));
        var rest = Object.keys(r).filter(function (k) { return ["id", "node", "name", "kind"].indexOf(k) < 0; })
          .map(function (k) { return k + ": " + (typeof r[k] === "object" ? JSON.stringify(r[k]) : r[k]); });
        if (r.detail) add(li, el("div", null, r.detail));
        else if (rest.length) add(li, el("div", "muted", rest.join(" · ")));
        return li;
      });
    });
  }

  // Scan-to-scan drift (scanner.drift.history.ScanDrift): each group in the auditor's words, with
  // "resource|ACTION" pairs turned back into names.
  var DRIFT_GROUPS = [
    ["new_writers", "New identities, credentials or third-party code that can publish, promote, deploy or administer"],
    ["removed_writers", "No longer able to write"],
    ["widened", "Reach widened"],
    ["narrowed", "Reach narrowed"],
    ["new_prod_paths", "New paths to production"],
    ["deadlines_crossed", "Credentials that crossed their rotation deadline or expired"],
    ["opened", "Findings opened"],
    ["closed", "Findings closed"]
  ];
  function pairs(li, list, sign) {
    (list || []).forEach(function (s) {
      var i = String(s).lastIndexOf("|");
      var res = i < 0 ? String(s) : String(s).slice(0, i), act = i < 0 ? "" : String(s).slice(i + 1);
      add(li, el("div", sign === "+" ? "added" : "muted", sign + " " + act + " on " + info(res).name));
    });
  }
  function scanDrift(box, d, emptyText) {
    if (!d || !Object.prototype.hasOwnProperty.call(d, "new_writers")) { driftTable(box, d, emptyText); return; }
    clear(box);
    if (d.old === null || d.old === undefined) {
      add(box, el("p", "muted", "This is the first scan in the history: nothing to compare with yet."));
      return;
    }
    var self = d.new === null || d.new === undefined ? "this scan" : "this is scan #" + d.new;
    add(box, el("p", null, "Compared with scan #" + d.old + " of " + (d.old_time || "?") + " (" + self + ")."));
    DRIFT_GROUPS.forEach(function (g) {
      var rows = d[g[0]] || [];
      add(box, el("h4", null, g[1] + " (" + rows.length + ")"));
      if (!rows.length) return;
      pagedRows(box, rows, function (r) {
        var li = el("li");
        if (r.rule) {  // a finding row
          add(li, el("strong", null, r.severity + " " + r.rule), " ", info(r.subject).name + " ", el("code", "muted", r.id));
          return li;
        }
        add(li, el("strong", null, r.name || info(r.node).name), " ", el("code", "muted", r.node));
        if (r.resource) add(li, el("div", null, "now reaches production " + info(r.resource).name));
        if (r.what) add(li, el("div", null, r.what + " " + (r.when || "")));
        pairs(li, r.added, "+");
        pairs(li, r.removed, "\u2212");
        return li;
      });
    });
  }

  // -- printing: expand the filtered findings ------------------------------------------------------
  window.addEventListener("beforeprint", function () { state.printing = true; drawFindings(); });
  window.addEventListener("afterprint", function () { state.printing = false; drawFindings(); });

  document.querySelectorAll("a.ctl-link").forEach(function (a) {
    a.addEventListener("click", function () { setFilter("control", a.getAttribute("data-control")); });
  });

  buildFilters();
  applyFilters();
  buildPanels();
  buildTrend();
  scanDrift(document.getElementById("drift-scan"), D.drift.scan, "No previous scan to compare with: scan-to-scan drift (new publishers, widened scopes, new paths to production, missed rotations) appears once scan history is kept.");
  driftTable(document.getElementById("drift-iac"), D.drift.iac, "No Terraform state was analysed in this scan: IaC drift (unmanaged identities, declared ones that are gone, grants wider than declared) appears when one is given.");
  document.documentElement.setAttribute("data-ready", "true");
})();
