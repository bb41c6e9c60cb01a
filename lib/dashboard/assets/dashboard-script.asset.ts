/*
 * The dashboard's only script (served as `assets/dashboard.js`; the CSP allows no inline script). It asks the
 * page's JSON endpoint (`data-api` of <body>) for the view, draws it, and asks again every `refreshMs`.
 * Every value from the server is put into the page with textContent, .value or setAttribute, never parsed
 * as markup; links are followed only when they name a dashboard page. Actions are POSTed with the page's
 * CSRF token in a header. Plain ES2020, no template literals (this text is itself one), no dependencies.
 */
export const DASHBOARD_SCRIPT = String.raw`'use strict';
(function () {
  var body = document.body;
  var api = body.getAttribute('data-api');
  var blocksBox = document.getElementById('blocks');
  var heading = document.getElementById('heading');
  var subheading = document.getElementById('subheading');
  var statusBox = document.getElementById('status');
  var toast = document.getElementById('toast');
  var csrfMeta = document.querySelector('meta[name="sf-dashboard-csrf"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute('content') : '';
  var TONES = ['ok', 'warn', 'bad', 'muted', 'info'];
  var PAGE_LINK = /^(routing|users|scheduler|task)(\?[^#]*)?$/;
  var SVG = 'http://www.w3.org/2000/svg';
  var refreshMs = 3000;
  var timer = 0;
  var toastTimer = 0;
  var loading = false;
  /** A refresh was asked for while one was under way (after an action): run it when that one ends. */
  var again = false;
  /** Drawn blocks by id: their JSON and node, reused while unchanged. */
  var drawn = new Map();
  /** Values picked in state pickers, kept across redraws. */
  var choices = new Map();

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function svgEl(tag, attributes) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attributes || {}).forEach(function (name) {
      node.setAttribute(name, String(attributes[name]));
    });
    return node;
  }

  function tone(name) {
    return 'tone-' + (TONES.indexOf(name) >= 0 ? name : 'muted');
  }

  function formatMs(ms) {
    if (ms < 1000) return Math.round(ms) + ' ms';
    if (ms < 60000) return (Math.round(ms / 100) / 10) + ' s';
    return (Math.round(ms / 6000) / 10) + ' min';
  }

  function card(block) {
    var section = el('section', 'card');
    section.setAttribute('data-block', block.id);
    var header = el('header');
    header.append(el('h2', null, block.title));
    if (block.note) header.append(el('span', 'note', block.note));
    section.append(header);
    return section;
  }

  function fillCell(td, data) {
    var target = td;
    if (data.href && PAGE_LINK.test(data.href)) {
      target = el('a');
      target.setAttribute('href', data.href);
      td.append(target);
    }
    var classes = [];
    if (data.mono) classes.push('mono');
    if (data.badge) classes.push('badge');
    if (data.tone) classes.push(tone(data.tone));
    target.append(el('span', classes.join(' '), data.text));
    if (data.title) td.setAttribute('title', data.title);
    if (data.sub) td.append(el('span', 'sub', data.sub));
    if (typeof data.bar === 'number') {
      var bar = el('span', 'bar');
      var fill = el('span');
      fill.style.width = (Math.max(0, Math.min(1, data.bar)) * 100).toFixed(1) + '%';
      bar.append(fill);
      td.append(bar);
    }
  }

  function actionControls(actions) {
    var box = el('div', 'actions');
    actions.forEach(function (action) {
      var key = action.action + ' ' + JSON.stringify(action.args);
      var select = null;
      if (action.choice) {
        select = el('select');
        select.setAttribute('aria-label', action.label);
        action.choice.options.forEach(function (option) {
          var item = el('option', null, option);
          item.value = option;
          select.append(item);
        });
        select.value = choices.has(key) ? choices.get(key) : action.choice.value;
        select.addEventListener('change', function () {
          choices.set(key, select.value);
        });
        box.append(select);
      }
      var button = el('button', 'btn' + (action.confirm ? ' danger' : ''), action.label);
      button.type = 'button';
      button.setAttribute('data-action', action.action);
      button.addEventListener('click', function () {
        if (action.confirm && button.getAttribute('data-armed') !== '1') {
          button.setAttribute('data-armed', '1');
          button.classList.add('armed');
          button.textContent = action.confirm;
          setTimeout(function () {
            button.removeAttribute('data-armed');
            button.classList.remove('armed');
            button.textContent = action.label;
          }, 5000);
          return;
        }
        var args = Object.assign({}, action.args);
        if (select) args[action.choice.name] = select.value;
        send(action.action, args, button);
      });
      box.append(button);
    });
    return box;
  }

  function table(block) {
    var section = card(block);
    if (block.rows.length === 0) {
      section.append(el('p', 'empty', block.empty));
      return section;
    }
    var withActions = block.rows.some(function (row) {
      return row.actions && row.actions.length > 0;
    });
    var grid = el('table');
    var head = el('tr');
    block.columns.forEach(function (column) {
      head.append(el('th', column.numeric ? 'num' : null, column.title));
    });
    if (withActions) head.append(el('th', 'num', 'Actions'));
    var thead = el('thead');
    thead.append(head);
    var tbody = el('tbody');
    block.rows.forEach(function (row) {
      var tr = el('tr', row.selected ? 'selected' : null);
      row.cells.forEach(function (data, index) {
        var column = block.columns[index] || {};
        var td = el('td', column.numeric ? 'num' : null);
        fillCell(td, data);
        tr.append(td);
      });
      if (withActions) {
        var td = el('td', 'actions-cell');
        if (row.actions) td.append(actionControls(row.actions));
        tr.append(td);
      }
      tbody.append(tr);
    });
    grid.append(thead, tbody);
    var scroll = el('div', 'scroll');
    scroll.append(grid);
    section.append(scroll);
    return section;
  }

  function facts(block) {
    var section = card(block);
    if (block.actions && block.actions.length > 0) section.firstChild.append(actionControls(block.actions));
    var list = el('dl', 'facts');
    block.facts.forEach(function (fact) {
      var item = el('div', fact.wide ? 'wide' : null);
      item.append(el('dt', null, fact.label));
      var value = el('dd');
      fillCell(value, fact.value);
      item.append(value);
      list.append(item);
    });
    section.append(list);
    return section;
  }

  function niceMax(value) {
    var max = Math.max(value, 10);
    var power = Math.pow(10, Math.floor(Math.log10(max)));
    var steps = [1, 2, 5, 10];
    for (var i = 0; i < steps.length; i++) if (steps[i] * power >= max) return steps[i] * power;
    return 10 * power;
  }

  function chart(block) {
    var section = card(block);
    if (block.points.length === 0) {
      section.append(el('p', 'empty', 'No run has started yet.'));
      return section;
    }
    var width = 1200, height = 180, left = 64, right = 16, top = 14, bottom = 26;
    var plot = height - top - bottom;
    var max = niceMax(Math.max.apply(null, block.points.map(function (point) { return point.lagMs; })));
    var root = svgEl('svg', { viewBox: '0 0 ' + width + ' ' + height, class: 'chart', role: 'img' });
    root.setAttribute('aria-label', block.title);
    [0, 0.5, 1].forEach(function (fraction) {
      var y = top + plot * (1 - fraction);
      root.append(svgEl('line', { x1: left, x2: width - right, y1: y, y2: y, class: 'grid' }));
      var label = svgEl('text', { x: left - 8, y: y + 4, 'text-anchor': 'end', class: 'axis' });
      label.textContent = formatMs(max * fraction);
      root.append(label);
    });
    var slot = (width - left - right) / block.points.length;
    var barWidth = Math.max(2, Math.min(26, slot * 0.7));
    block.points.forEach(function (point, index) {
      var barHeight = Math.max(1.5, (plot * Math.max(0, point.lagMs)) / max);
      var rect = svgEl('rect', {
        x: (left + index * slot + (slot - barWidth) / 2).toFixed(1),
        y: (top + plot - barHeight).toFixed(1),
        width: barWidth.toFixed(1),
        height: barHeight.toFixed(1),
        rx: 2,
        class: tone(point.tone),
      });
      var title = svgEl('title');
      title.textContent = point.title;
      rect.append(title);
      root.append(rect);
    });
    var oldest = svgEl('text', { x: left, y: height - 6, class: 'axis' });
    oldest.textContent = 'oldest';
    var newest = svgEl('text', { x: width - right, y: height - 6, 'text-anchor': 'end', class: 'axis' });
    newest.textContent = 'newest';
    root.append(oldest, newest);
    section.append(root);
    return section;
  }

  function lookup(block) {
    var section = card(block);
    var form = el('form', 'lookup');
    form.setAttribute('method', 'get');
    form.setAttribute('action', PAGE_LINK.test(block.target) ? block.target : 'users');
    block.fields.forEach(function (field) {
      var label = el('label', null, field.label);
      var control;
      if (field.options) {
        control = el('select');
        field.options.forEach(function (option) {
          var item = el('option', null, option);
          item.value = option;
          control.append(item);
        });
      } else {
        control = el('input');
        control.type = 'text';
        if (field.placeholder) control.setAttribute('placeholder', field.placeholder);
      }
      control.name = field.name;
      control.value = field.value;
      label.append(control);
      form.append(label);
    });
    var submit = el('button', 'btn primary', block.submit);
    submit.type = 'submit';
    form.append(submit);
    section.append(form);
    return section;
  }

  function notice(block) {
    var box = el('div', 'notice ' + tone(block.tone), block.text);
    box.setAttribute('data-block', block.id);
    return box;
  }

  var DRAW = { table: table, facts: facts, 'lag-chart': chart, lookup: lookup, notice: notice };

  function draw(view) {
    heading.textContent = view.heading;
    subheading.textContent = view.subheading || '';
    document.title = view.heading + ' · Stateful dashboard';
    var next = new Map();
    var nodes = view.blocks.map(function (block) {
      var json = JSON.stringify(block);
      var previous = drawn.get(block.id);
      var node = previous && previous.json === json ? previous.node : (DRAW[block.kind] || notice)(block);
      next.set(block.id, { json: json, node: node });
      return node;
    });
    drawn = next;
    blocksBox.replaceChildren.apply(blocksBox, nodes);
  }

  /** Someone is choosing or confirming: do not redraw under their hands. */
  function busy() {
    var active = document.activeElement;
    if (active && blocksBox.contains(active) && (active.tagName === 'SELECT' || active.tagName === 'INPUT')) return true;
    return blocksBox.querySelector('[data-armed="1"]') !== null;
  }

  function setStatus(state, text) {
    statusBox.className = 'status ' + state;
    statusBox.textContent = text;
  }

  function clock() {
    return new Date().toLocaleTimeString([], { hour12: false });
  }

  function schedule(ms) {
    clearTimeout(timer);
    timer = setTimeout(refresh, ms);
  }

  function refresh(force) {
    if (loading) {
      if (force === true) again = true;
      return;
    }
    if (document.hidden) return;
    if (!force && busy()) {
      schedule(1000);
      return;
    }
    loading = true;
    fetch(api + location.search, { headers: { accept: 'application/json' }, cache: 'no-store', credentials: 'same-origin' })
      .then(function (response) {
        return response.json().then(
          function (answer) {
            if (!response.ok) throw new Error(answer && answer.message ? String(answer.message) : 'HTTP ' + response.status);
            return answer;
          },
          function () {
            throw new Error('HTTP ' + response.status);
          },
        );
      })
      .then(function (view) {
        refreshMs = Math.max(1000, Number(view.refreshMs) || 3000);
        draw(view);
        body.setAttribute('data-loaded', '1');
        setStatus('live', 'Live · updated ' + clock());
      })
      .catch(function (error) {
        setStatus('failing', 'Refresh failed: ' + error.message);
      })
      .then(function () {
        loading = false;
        if (again) {
          again = false;
          refresh(true);
        } else {
          schedule(refreshMs);
        }
      });
  }

  function showToast(ok, text) {
    toast.textContent = text;
    toast.className = ok ? 'tone-ok' : 'tone-bad';
    toast.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () {
      toast.hidden = true;
    }, 6000);
  }

  function send(action, args, button) {
    button.disabled = true;
    fetch('api/actions/' + encodeURIComponent(action), {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': csrf },
      body: JSON.stringify(args),
    })
      .then(function (response) {
        return response.json().then(
          function (answer) {
            showToast(response.ok, answer && answer.message ? String(answer.message) : 'HTTP ' + response.status);
          },
          function () {
            showToast(false, 'HTTP ' + response.status);
          },
        );
      })
      .catch(function (error) {
        showToast(false, 'Request failed: ' + error.message);
      })
      .then(function () {
        button.disabled = false;
        button.removeAttribute('data-armed');
        refresh(true);
      });
  }

  document.addEventListener('visibilitychange', function () {
    if (!document.hidden) refresh(true);
  });
  refresh(true);
})();
`;
