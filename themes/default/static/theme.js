/* benchbook default theme: the dark-mode toggle (remembered in localStorage) and the
   sidebar menu button on narrow screens. No dependencies; works from file://.
   Without JavaScript both buttons stay hidden, the sidebar stays visible and the
   colours follow the system setting (prefers-color-scheme). */
(function () {
  "use strict";
  var doc = document.documentElement;
  var KEY = "bb-theme";

  function systemDark() {
    return !!(window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches);
  }
  function isDark() {
    var t = doc.getAttribute("data-theme");
    return t ? t === "dark" : systemDark();
  }

  // The button's label ("Dark mode" or "Light mode": what pressing it does) follows
  // data-theme and the system setting in style.css; this only changes data-theme.
  var toggle = document.querySelector(".theme-toggle");
  if (toggle) {
    toggle.hidden = false;
    toggle.addEventListener("click", function () {
      var next = isDark() ? "light" : "dark";
      doc.setAttribute("data-theme", next);
      try {
        // Forget the choice when it matches the system again.
        if ((next === "dark") === systemDark()) {
          localStorage.removeItem(KEY);
        } else {
          localStorage.setItem(KEY, next);
        }
      } catch (e) { /* storage may be unavailable (privacy mode): the toggle still works */ }
    });
  }

  // Wide code blocks, tables and charts scroll inside their box (long error messages also
  // scroll down inside theirs): make each one that actually scrolls reachable by keyboard
  // (arrow keys scroll a focused box). A table box that scrolls also becomes a region named
  // by its data-bb-label (the merge stage writes one) or its table's caption, so that what
  // has the focus is announced; only while it scrolls, so that a page does not fill up with
  // landmarks.
  function focusableScrollers() {
    var boxes = document.querySelectorAll("main pre, main table, main .table-wrap, main .bb-table-wrap, main .bb-probes, main figure.bb-chart");
    for (var i = 0; i < boxes.length; i++) {
      var el = boxes[i];
      if (el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1) {
        if (!el.hasAttribute("tabindex")) {
          el.setAttribute("tabindex", "0");
          el.setAttribute("data-bb-scroll", "");
          if (el.tagName === "DIV" && !el.hasAttribute("role")) {
            var caption = el.querySelector("caption");
            el.setAttribute("role", "region");
            el.setAttribute("aria-label", el.getAttribute("data-bb-label") ||
              (caption ? caption.textContent.trim() : "Table, scrolls sideways"));
            el.setAttribute("data-bb-region", "");
          }
        }
      } else if (el.hasAttribute("data-bb-scroll")) {
        el.removeAttribute("tabindex");
        el.removeAttribute("data-bb-scroll");
        if (el.hasAttribute("data-bb-region")) {
          el.removeAttribute("role");
          el.removeAttribute("aria-label");
          el.removeAttribute("data-bb-region");
        }
      }
    }
  }
  focusableScrollers();
  window.addEventListener("resize", focusableScrollers);

  var menu = document.querySelector(".nav-toggle");
  var sidebar = document.getElementById("bb-sidebar");
  if (menu && sidebar) {
    menu.hidden = false;
    menu.addEventListener("click", function () {
      var open = menu.getAttribute("aria-expanded") !== "true";
      menu.setAttribute("aria-expanded", open ? "true" : "false");
      sidebar.classList.toggle("is-open", open);
      if (open) {
        var current = sidebar.querySelector("[aria-current=page]") || sidebar.querySelector("a");
        if (current) { current.focus(); }
      }
    });
    document.addEventListener("keydown", function (ev) {
      if (ev.key === "Escape" && menu.getAttribute("aria-expanded") === "true") {
        menu.setAttribute("aria-expanded", "false");
        sidebar.classList.remove("is-open");
        menu.focus();
      }
    });
  }
})();
