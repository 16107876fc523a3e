//! The SQL that both backends run: statements are written once, with `?1`-style
//! placeholders, and each backend binds [`Val`]s and hands back rows of them. Where the two
//! dialects differ (locking, schema), the caller asks [`Tx::dialect`].

use anyhow::{Context, Result, bail};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// One value crossing to or from either database.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Bytes(Vec<u8>),
}

impl From<i64> for Val {
    fn from(v: i64) -> Val {
        Val::Int(v)
    }
}
impl From<bool> for Val {
    fn from(v: bool) -> Val {
        Val::Int(v as i64)
    }
}
impl From<f64> for Val {
    fn from(v: f64) -> Val {
        Val::Real(v)
    }
}
impl From<&str> for Val {
    fn from(v: &str) -> Val {
        Val::Text(v.to_owned())
    }
}
impl From<&String> for Val {
    fn from(v: &String) -> Val {
        Val::Text(v.clone())
    }
}
impl From<&[u8]> for Val {
    fn from(v: &[u8]) -> Val {
        Val::Bytes(v.to_vec())
    }
}
impl<T: Into<Val>> From<Option<T>> for Val {
    fn from(v: Option<T>) -> Val {
        v.map_or(Val::Null, Into::into)
    }
}

/// Binds a list of values: `vals![a, b, c]`.
#[macro_export]
macro_rules! vals {
    ($($v:expr),* $(,)?) => { &[$($crate::state::sql::Val::from($v)),*][..] };
}

/// One row, read by column position.
#[derive(Debug, Clone, PartialEq)]
pub struct Row(pub Vec<Val>);

impl Row {
    fn at(&self, i: usize) -> Result<&Val> {
        self.0.get(i).with_context(|| format!("the state's answer has no column {i}"))
    }

    pub fn int(&self, i: usize) -> Result<i64> {
        match self.at(i)? {
            Val::Int(v) => Ok(*v),
            other => bail!("column {i} of the state's answer is {other:?}, not a number"),
        }
    }

    pub fn opt_int(&self, i: usize) -> Result<Option<i64>> {
        if self.at(i)? == &Val::Null { Ok(None) } else { self.int(i).map(Some) }
    }

    pub fn real(&self, i: usize) -> Result<f64> {
        match self.at(i)? {
            Val::Real(v) => Ok(*v),
            Val::Int(v) => Ok(*v as f64),
            other => bail!("column {i} of the state's answer is {other:?}, not a number"),
        }
    }

    pub fn text(&self, i: usize) -> Result<String> {
        Ok(self.opt_text(i)?.unwrap_or_default())
    }

    pub fn opt_text(&self, i: usize) -> Result<Option<String>> {
        match self.at(i)? {
            Val::Null => Ok(None),
            Val::Text(v) => Ok(Some(v.clone())),
            other => bail!("column {i} of the state's answer is {other:?}, not text"),
        }
    }

    pub fn bytes(&self, i: usize) -> Result<Vec<u8>> {
        match self.at(i)? {
            Val::Bytes(v) => Ok(v.clone()),
            Val::Text(v) => Ok(v.clone().into_bytes()),
            other => bail!("column {i} of the state's answer is {other:?}, not bytes"),
        }
    }
}

/// A transaction on either backend: everything done through one commits together.
pub trait Tx {
    fn dialect(&self) -> Dialect;
    /// Rows changed.
    fn execute(&mut self, sql: &str, params: &[Val]) -> Result<u64>;
    fn query(&mut self, sql: &str, params: &[Val]) -> Result<Vec<Row>>;

    fn query_one(&mut self, sql: &str, params: &[Val]) -> Result<Option<Row>> {
        Ok(self.query(sql, params)?.into_iter().next())
    }
}

/// `?1` → `$1` for PostgreSQL; the statements hold no other question marks.
pub fn numbered_for_postgres(sql: &str) -> String {
    sql.replace('?', "$")
}

/// `?first, ?first+1, …` for an `IN (…)` list of `count` values.
pub fn placeholders(first: usize, count: usize) -> String {
    (first..first + count).map(|i| format!("?{i}")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_number_on_from_the_first() {
        assert_eq!(placeholders(2, 3), "?2, ?3, ?4");
        assert_eq!(numbered_for_postgres("a = ?1 AND b IN (?2, ?3)"), "a = $1 AND b IN ($2, $3)");
    }

    #[test]
    fn rows_say_which_column_is_not_what_was_asked() {
        let row = Row(vec![Val::Int(3), Val::Null, Val::Text("x".into())]);
        assert_eq!(row.int(0).unwrap(), 3);
        assert_eq!(row.opt_int(1).unwrap(), None);
        assert_eq!(row.text(1).unwrap(), "");
        assert!(row.int(2).unwrap_err().to_string().contains("column 2"));
        assert!(row.text(7).unwrap_err().to_string().contains("no column 7"));
    }
}
