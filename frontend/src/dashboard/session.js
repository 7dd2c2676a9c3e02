// Who is signed in: the access token and profile, kept in localStorage so a reload keeps
// the session. Every API call sends the token as the `api_access_token` header.
import { reactive } from 'vue'
import { createApi } from '../shared/api.js'
import { endpoints } from '../shared/endpoints.js'

const KEY = 'parley.session'
const ACCOUNT_KEY = 'parley.account'

// notice: why the last session ended, when the server ended it (shown on the sign-in page).
export const session = reactive({ token: '', user: null, accountId: null, notice: '' })

let onSignedOut = () => {}
export function whenSignedOut(fn) {
  onSignedOut = fn
}

function storage() {
  try {
    return globalThis.localStorage
  } catch (e) {
    return null
  }
}

export function loadSession() {
  try {
    const saved = JSON.parse(storage().getItem(KEY) || 'null')
    if (saved && saved.access_token) setUser(saved, false)
  } catch (e) {
    /* nothing stored */
  }
}

export function setUser(user, persist = true) {
  session.notice = ''
  session.user = user
  session.token = user.access_token || session.token
  const accounts = user.accounts || []
  const preferred = Number(storage() && storage().getItem(ACCOUNT_KEY))
  const pick = accounts.find((a) => a.id === preferred) || accounts.find((a) => a.id === user.account_id) || accounts[0]
  session.accountId = pick ? pick.id : null
  if (persist && storage()) storage().setItem(KEY, JSON.stringify({ ...user, access_token: session.token }))
}

export function selectAccount(id) {
  session.accountId = id
  if (storage()) storage().setItem(ACCOUNT_KEY, String(id))
}

export function clearSession() {
  session.token = ''
  session.user = null
  session.accountId = null
  if (storage()) storage().removeItem(KEY)
}

// The server ended the session (a 401, or the socket revoked for a reason the token
// cannot outlive): drop it and go back to the sign-in page, saying why.
export function endSession(notice = '') {
  if (!session.token) return
  clearSession()
  session.notice = notice
  onSignedOut()
}

// Why a revoked socket means this session is over; other reasons (flooding) leave the
// token standing, and the socket reconnects. A role or inbox change revokes nothing: the
// server rewrites the socket's scope in place.
const REVOKED_NOTICES = {
  password_changed: 'You were signed out: your password was changed.',
  token_revoked: 'You were signed out: this session was ended.',
  user_deleted: 'You were signed out: your user was deleted.',
  removed_from_account: 'You were signed out: you were removed from the account.',
  two_factor_required: 'You were signed out: this account now requires two-factor authentication. Sign in to set it up.',
}

export function revokedNotice(reason) {
  return Object.hasOwn(REVOKED_NOTICES, reason) ? REVOKED_NOTICES[reason] : null
}

export const isSuperAdmin = () => !!(session.user && session.user.type === 'SuperAdmin')

// The signed-in user's entry for the selected account (of `s`, the session by default).
export function membership(s = session) {
  const accounts = (s.user && s.user.accounts) || []
  return accounts.find((a) => a.id === s.accountId) || null
}

// Administrator of the selected account: sees and changes the account's settings.
export function isAdministrator() {
  const m = membership()
  return !!m && m.role === 'administrator'
}

// What the selected account lets the user do, from its account entry's `permissions`
// (Chatwoot's: ["administrator"], ["agent"], or a custom role's permissions and
// "custom_role"). The server decides every request; this only hides what would be refused.
const AGENT_DEFAULTS = ['conversation_manage', 'contact_manage']
export function hasPermission(permission, s = session) {
  const m = membership(s)
  if (!m) return false
  if (m.role === 'administrator') return true
  const granted = Array.isArray(m.permissions) ? m.permissions : []
  return (granted.includes('custom_role') ? granted : AGENT_DEFAULTS).includes(permission)
}

// Authenticated calls: a 401 means the token is gone (signed out elsewhere, password
// changed): drop the session and go back to the sign-in page.
export const api = createApi({
  headers: () => (session.token ? { api_access_token: session.token } : {}),
  onUnauthorized: () => endSession(),
})

// Unauthenticated calls (sign in, global config): a 401 is just an answer.
export const publicApi = createApi()

// The password step. For a user with two-factor sign-in the server answers 206
// { mfa_required, mfa_token } instead of the session: the caller asks for a code and
// finishes with verifySignIn. Answers { mfaToken } then, else the signed-in user.
export async function signIn(email, password) {
  const res = await publicApi.post(endpoints.signIn, { email, password })
  if (res && res.mfa_required) return { mfaToken: res.mfa_token }
  setUser(res.data)
  return res.data
}

// The second step: the mfa_token with a code from the authenticator app ({ otp_code })
// or a recovery code ({ backup_code }).
export async function verifySignIn(mfaToken, code) {
  const res = await publicApi.post(endpoints.signIn, { mfa_token: mfaToken, ...code })
  setUser(res.data)
  return res.data
}

// A member of an account that requires two-factor sign-in, without it: the account's
// routes refuse them until they enrol (router.js sends them to the enrolment first).
export const mustEnrolTwoFactor = () => !!(session.user && session.user.mfa_enrollment_required)

// The profile again (after a two-factor change): the flags above follow.
export async function refreshProfile() {
  setUser(await api.get(endpoints.profile))
  return session.user
}

export async function signOut() {
  try {
    if (session.token) await api.del(endpoints.signOut)
  } catch (e) {
    /* the token is dropped locally either way */
  }
  clearSession()
}
