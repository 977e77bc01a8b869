//! Accounts: users and passwords, sign-in with rate limiting, sessions, API tokens,
//! and the `CurrentUser` extractor that accepts either.

mod current_user;
mod session_store;
mod tokens;
mod users;

pub use current_user::{CurrentUser, SESSION_USER_KEY, user_from_session};
pub use session_store::SqliteSessionStore;
pub use tokens::{ApiToken, NewToken, create_token, list_tokens, revoke_token, user_for_token};
pub use users::{
    Email, Password, User, count_users, create_owner, create_user, find_user, find_user_by_email, sign_in,
};
