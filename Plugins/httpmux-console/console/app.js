// The console's shell: hash routing between pages, the header, and the secret prompt.
import { call, onAuthRefused, secret, setSecret } from './api.js';
import { $, setText, status } from './dom.js';
import { streamsPage } from './streams.js';
import { playerPage } from './player.js';
import { publishPage } from './publish.js';
import { serverPage } from './server.js';

const pages = { streams: streamsPage, player: playerPage, publish: publishPage, server: serverPage };
let current = null;

function route() {
  const [name, query] = location.hash.replace(/^#/, '').split('?');
  const page = pages[name] ? name : 'streams';
  const params = new URLSearchParams(query || '');
  if (current && current !== pages[page]) current.hide();
  for (const [n, p] of Object.entries(pages)) {
    $('#page-' + n).hidden = n !== page;
    document.querySelector(`nav a[data-page="${n}"]`).classList.toggle('active', n === page);
  }
  current = pages[page];
  current.show(params);
}

// --- the secret: asked once per tab when the API refuses a call, kept in sessionStorage ---

function showAuth(message) {
  const dialog = $('#auth');
  const sent = secret() !== '';
  if (sent) setSecret('');   // a refused secret is not sent again
  status($('#auth-error'), sent ? 'Refused: ' + message : 'This server needs its API secret ([api] secret in plugins.conf).', sent);
  updateHeader();
  if (dialog.hidden) {
    dialog.hidden = false;
    $('#auth-secret').value = '';
    $('#auth-secret').focus();
  }
}

async function submitSecret(event) {
  event.preventDefault();
  const value = $('#auth-secret').value;
  if (!value) return;
  setSecret(value);
  status($('#auth-error'), 'Checking…', false);
  try {
    await loadVersion();
    $('#auth').hidden = true;
    updateHeader();
    route();
  } catch (e) {
    // A refusal has already shown itself through showAuth; anything else is a network problem.
    if (!e.isAuth) status($('#auth-error'), String(e.message || e), true);
  }
}

function updateHeader() { $('#forget').hidden = secret() === ''; }

async function loadVersion() {
  const v = await call('version');
  setText($('#server-info'), 'v' + v.data.version + ' · ABI ' + v.data.abi);
}

onAuthRefused(showAuth);
$('#auth-form').addEventListener('submit', submitSecret);
$('#forget').addEventListener('click', () => { setSecret(''); updateHeader(); location.reload(); });
window.addEventListener('hashchange', route);
updateHeader();
loadVersion().catch(() => {});
route();
