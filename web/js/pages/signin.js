// Sign-in with a bearer token (`ipdx token create --scope write`). The token is kept in this tab's
// sessionStorage only and sent as "Authorization: Bearer ..." with every API request.
import {h, notice} from '../dom.js';
import {token, setToken, get} from '../api.js';

export async function render(view) {
  const status = h('div', {'aria-live': 'polite'});
  const input = h('input', {type: 'password', id: 'token', name: 'token', autocomplete: 'off',
                            spellcheck: 'false', required: true, 'aria-describedby': 'token-hint'});
  const show = () => {
    status.replaceChildren(token()
        ? notice('Signed in: this tab sends your token with every request.')
        : notice('Not signed in. Reading is public on most nodes; recording decisions needs a token.'));
    signout.hidden = !token();
  };
  const signout = h('button', {type: 'button', onclick: () => { setToken(''); show(); }}, 'Sign out');
  const form = h('form', {class: 'signin-form', onsubmit: async (e) => {
    e.preventDefault();
    const value = input.value.trim();
    if (!value) return;
    setToken(value);
    input.value = '';
    // A read with the token shows at once whether the node knows it.
    try {
      await get('/node');
      show();
    } catch (err) {
      setToken('');
      status.replaceChildren(notice(err.status === 401 || err.status === 403
          ? 'The node did not accept this token (unknown, revoked or malformed).'
          : `The token could not be checked: ${err.message}`, 'error'));
      signout.hidden = true;
    }
  }},
    h('label', {for: 'token'}, 'Access token'),
    h('div', {class: 'q-row'}, input, h('button', {type: 'submit', class: 'primary'}, 'Sign in')),
    h('p', {id: 'token-hint', class: 'hint'}, 'Ask the node operator for a token (',
      h('code', {}, 'ipdx token create --scope write'), '). It is kept only in this browser tab and ' +
      'forgotten when the tab closes.'));
  view.append(h('h1', {}, 'Sign in'), status, form, h('p', {}, signout));
  show();
}
