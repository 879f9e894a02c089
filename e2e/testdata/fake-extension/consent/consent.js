const q = new URLSearchParams(location.search);
document.getElementById('site').textContent = q.get('site');
document.getElementById('operation').textContent = q.get('op');
for (const [id, approved] of [['approve', true], ['deny', false]]) {
  document.getElementById(id).addEventListener('click', async () => {
    await chrome.runtime.sendMessage({ decision: { id: q.get('id'), approved } });
    window.close();
  });
}
