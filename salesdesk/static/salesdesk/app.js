// Page behaviour shared by every screen: toasts, confirm dialogs for htmx actions.
(function () {
  function showToasts(root) {
    (root || document).querySelectorAll('.toast:not(.showing):not(.show)').forEach(function (el) {
      bootstrap.Toast.getOrCreateInstance(el).show();
    });
  }
  document.addEventListener('DOMContentLoaded', function () { showToasts(); });
  document.body.addEventListener('htmx:afterSwap', function (e) { showToasts(e.target); });
  // Server-sent toast via the HX-Trigger header: {"toast": {"level": "success", "message": "..."}}
  document.body.addEventListener('toast', function (e) {
    var d = e.detail || {};
    var el = document.createElement('div');
    el.className = 'toast align-items-center border-0 text-bg-' + (d.level || 'info');
    el.setAttribute('role', 'status');
    el.innerHTML = '<div class="d-flex"><div class="toast-body"></div><button type="button" class="btn-close btn-close-white me-2 m-auto" data-bs-dismiss="toast"></button></div>';
    el.querySelector('.toast-body').textContent = d.message || '';
    document.getElementById('toasts').appendChild(el);
    bootstrap.Toast.getOrCreateInstance(el).show();
  });
})();
