/* Live document status: PDF badges on the invoice page and list, bulk progress.
 *
 * Listens on the tenant's WebSocket (/ws/t/<slug>/documents/). When the socket is down it polls
 * the JSON status endpoint instead, and whenever the socket (re)opens it reads that endpoint
 * once to catch up on what it missed. No inline script: the config is the data-* attributes of
 * #documents-live (rendered by {% documents_live %}). */
(function () {
  "use strict";

  var config = document.getElementById("documents-live");
  if (!config) return;
  var labels = {
    none: config.dataset.labelNone, queued: config.dataset.labelQueued,
    processing: config.dataset.labelProcessing, ready: config.dataset.labelReady,
    failed: config.dataset.labelFailed
  };
  var badges = { none: "badge--muted", queued: "badge--muted", processing: "badge--warn", ready: "badge--ok", failed: "badge--bad" };
  var IN_FLIGHT = { queued: true, processing: true };
  var socket = null;
  var socketOpen = false;
  var reconnectDelay = 1000;
  var pollTimer = null;
  var jobs = {};

  function items(invoice) {
    return document.querySelectorAll('[data-doc-invoice="' + invoice + '"]');
  }

  function allInvoices() {
    var seen = {};
    document.querySelectorAll("[data-doc-invoice]").forEach(function (el) { seen[el.dataset.docInvoice] = true; });
    return Object.keys(seen);
  }

  function applyDocument(payload) {
    items(payload.invoice).forEach(function (el) {
      var version = el.dataset.docVersion;
      // A message about another version of the invoice (an older request) is not this page's.
      if (version && payload.content_version && String(payload.content_version) !== version) return;
      // Older news than what is shown (e.g. the button's HTTP answer after the socket's "ready").
      if (payload.updated && el.dataset.docUpdated && payload.updated < parseFloat(el.dataset.docUpdated)) return;
      if (payload.updated) el.dataset.docUpdated = String(payload.updated);
      var status = payload.status;
      el.dataset.docStatus = status;
      var badge = el.querySelector("[data-doc-badge]");
      if (badge) {
        badge.className = "badge " + (badges[status] || "");
        badge.textContent = el.classList.contains("docstatus--compact") && status === "ready" ? "PDF" : (labels[status] || status);
      }
      var reason = el.querySelector("[data-doc-reason]");
      if (reason) {
        reason.textContent = payload.reason || "";
        reason.hidden = status !== "failed";
      }
      var download = el.querySelector("[data-doc-download]");
      if (download) {
        if (status === "ready" && payload.download_url) download.setAttribute("href", payload.download_url);
        download.hidden = status !== "ready";
      }
      var button = el.querySelector("[data-doc-button]");
      if (button) {
        button.hidden = status === "ready" || !!IN_FLIGHT[status];
        button.disabled = false;
        button.textContent = status === "failed" ? config.dataset.labelRetry : config.dataset.labelGenerate;
      }
    });
  }

  function applyJob(payload) {
    var form = document.querySelector("[data-bulk-form]");
    if (!form || form.dataset.bulkJob !== payload.job) return;
    jobs[payload.job] = payload;
    var box = form.querySelector("[data-bulk-progress]");
    var bar = form.querySelector("[data-bulk-bar]");
    var text = form.querySelector("[data-bulk-text]");
    var link = form.querySelector("[data-bulk-download]");
    box.hidden = false;
    bar.max = Math.max(payload.total, 1);
    bar.value = payload.done + payload.failed;
    text.textContent = (payload.done + payload.failed) + " / " + payload.total +
      (payload.failed ? " · " + payload.failed + " " + labels.failed.toLowerCase() : "") +
      (payload.reason ? " · " + payload.reason : "");
    if (payload.download_url) {
      link.setAttribute("href", payload.download_url);
      link.hidden = false;
    }
    form.dataset.bulkStatus = payload.status;
  }

  function apply(payload) {
    if (payload.kind === "document") applyDocument(payload);
    else if (payload.kind === "job") applyJob(payload);
  }

  function somethingInFlight() {
    var busy = false;
    document.querySelectorAll("[data-doc-status]").forEach(function (el) {
      if (IN_FLIGHT[el.dataset.docStatus]) busy = true;
    });
    Object.keys(jobs).forEach(function (id) { if (jobs[id].status === "running") busy = true; });
    return busy;
  }

  function catchUp() {
    var params = new URLSearchParams();
    allInvoices().forEach(function (id) { params.append("invoice", id); });
    var form = document.querySelector("[data-bulk-form]");
    if (form && form.dataset.bulkJob) params.append("job", form.dataset.bulkJob);
    if (!params.toString()) return Promise.resolve();
    return fetch(config.dataset.statusUrl + "?" + params.toString(), {
      credentials: "same-origin", headers: { Accept: "application/json" }
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (data) {
      if (!data) return;
      data.documents.forEach(applyDocument);
      data.jobs.forEach(applyJob);
    }).catch(function () { /* offline: the next poll tries again */ });
  }

  function schedulePoll() {
    if (pollTimer || socketOpen) return;
    pollTimer = window.setTimeout(function () {
      pollTimer = null;
      if (socketOpen) return;
      catchUp().then(schedulePoll);
    }, somethingInFlight() ? 1500 : 5000);
  }

  function connect() {
    if (!("WebSocket" in window)) { schedulePoll(); return; }
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    try {
      socket = new WebSocket(scheme + window.location.host + config.dataset.socketPath);
    } catch (error) {
      schedulePoll();
      return;
    }
    socket.addEventListener("open", function () {
      socketOpen = true;
      reconnectDelay = 1000;
      config.dataset.socket = "open";
      catchUp();
    });
    socket.addEventListener("message", function (event) {
      try { apply(JSON.parse(event.data)); } catch (error) { /* ignore a malformed message */ }
    });
    socket.addEventListener("close", function () {
      socketOpen = false;
      config.dataset.socket = "closed";
      schedulePoll();
      window.setTimeout(connect, reconnectDelay);
      reconnectDelay = Math.min(reconnectDelay * 2, 15000);
    });
  }

  function post(form, extra) {
    var data = new FormData(form);
    Object.keys(extra || {}).forEach(function (key) { data.append(key, extra[key]); });
    // getAttribute: the bulk form has buttons named "action", which shadow form.action.
    return fetch(form.getAttribute("action"), {
      method: "POST", body: data, credentials: "same-origin", headers: { Accept: "application/json" }
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.matches("[data-doc-generate]")) {
      event.preventDefault();
      var box = form.closest("[data-doc-invoice]");
      var button = form.querySelector("[data-doc-button]");
      if (button) button.disabled = true;
      post(form).then(function (result) {
        if (result.ok) {
          apply(result.body);
        } else {
          if (button) button.disabled = false;
          var reason = box && box.querySelector("[data-doc-reason]");
          if (reason) { reason.textContent = result.body.error || ""; reason.hidden = false; }
        }
        schedulePoll();
      }).catch(function () { form.submit(); });
    } else if (form.matches("[data-bulk-form]")) {
      event.preventDefault();
      var submitter = event.submitter;
      var action = submitter && submitter.value ? submitter.value : "generate";
      post(form, { action: action }).then(function (result) {
        var text = form.querySelector("[data-bulk-text]");
        form.querySelector("[data-bulk-progress]").hidden = false;
        if (!result.ok) {
          text.textContent = result.body.error || "";
          return;
        }
        form.dataset.bulkJob = result.body.job;
        form.querySelector("[data-bulk-download]").hidden = true;
        applyJob(result.body);
        catchUp();
        schedulePoll();
      });
    }
  });

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("[data-bulk-all]")) {
      document.querySelectorAll("[data-doc-pick]").forEach(function (box) { box.checked = target.checked; });
    }
    if (target.matches("[data-bulk-all], [data-doc-pick]")) {
      var count = document.querySelectorAll("[data-doc-pick]:checked").length;
      var label = document.querySelector("[data-bulk-count]");
      if (label) label.textContent = count ? String(count) : "";
    }
  });

  connect();
  if (document.querySelector("[data-bulk-form][data-bulk-job]")) catchUp();
})();
