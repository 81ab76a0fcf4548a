//! What a reminder says, whatever the channel: the lists of contacts to act on, the subject
//! line, and the links back into the app. The engine fills a [`Reminder`]; the e-mail, the
//! webhook and the ntfy push each render it their own way.

use askama::Template;

use crate::format::count_of;

/// Which reminder this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The daily digest.
    Daily,
    /// The weekly digest.
    Weekly,
    /// "Send a test now" from Settings → Reminders.
    Test,
    /// One follow-up, at the moment it falls due.
    FollowUpDue,
}

impl Kind {
    /// The `type` of the webhook body: `digest`, `follow_up` or `test`.
    pub fn push_type(self) -> &'static str {
        match self {
            Kind::Daily | Kind::Weekly => "digest",
            Kind::FollowUpDue => "follow_up",
            Kind::Test => "test",
        }
    }

    /// The finer name (the webhook's `kind`): `daily`, `weekly`, `follow_up_due` or `test`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Daily => "daily",
            Kind::Weekly => "weekly",
            Kind::FollowUpDue => "follow_up_due",
            Kind::Test => "test",
        }
    }
}

/// One contact in a list, with a line that says why it is there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub contact_id: String,
    pub name: String,
    /// "due today: call about the offer", "3 days overdue: …", "turns 40 on Wed, Dec 9",
    /// "45 days since you last talked (every 30)".
    pub detail: String,
}

/// A reminder to one user, before it is rendered for a channel.
#[derive(Debug, Clone)]
pub struct Reminder {
    pub kind: Kind,
    pub username: String,
    /// "Monday, December 7", in the user's time zone (the engine fills it).
    pub date_label: String,
    pub due_today: Vec<Item>,
    pub overdue: Vec<Item>,
    pub birthdays: Vec<Item>,
    pub reconnect: Vec<Item>,
    /// Items left out: each list is capped by the engine.
    pub more: usize,
}

/// Where the links of a reminder point.
#[derive(Debug, Clone)]
pub struct Links {
    /// `PUBLIC_URL`, without a trailing slash.
    pub base: String,
    /// The one-click unsubscribe address (full URL); e-mail only.
    pub unsubscribe: Option<String>,
    /// Settings → Reminders (full URL).
    pub settings: String,
}

impl Links {
    /// The dashboard: `{base}/`.
    pub fn dashboard(&self) -> String {
        format!("{}/", self.base.trim_end_matches('/'))
    }
}

/// What a path segment keeps as it is: the unreserved characters of RFC 3986.
const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// One titled list of a reminder, as the templates show it.
pub struct Section<'a> {
    pub title: &'static str,
    pub items: Vec<LinkedItem<'a>>,
}

/// An item with the address of its contact's page.
pub struct LinkedItem<'a> {
    pub item: &'a Item,
    pub url: String,
}

impl Reminder {
    /// The subject of the e-mail and the title of a push, on one line.
    pub fn subject(&self) -> String {
        let subject = match self.kind {
            Kind::Test => "Test reminder from Developer Hub".to_string(),
            Kind::FollowUpDue => match self.only_item() {
                Some(item) => format!("Follow-up due: {}", item.name),
                None => format!("Follow-ups due: {}", self.summary()),
            },
            Kind::Daily if self.is_empty() => format!("Nothing due on {}", self.date_label),
            Kind::Daily => format!("{}: {}", self.date_label, self.summary()),
            Kind::Weekly if self.is_empty() => {
                format!("Your week from {}: nothing due", self.date_label)
            }
            Kind::Weekly => format!("Your week from {}: {}", self.date_label, self.summary()),
        };
        one_line(&subject, 200)
    }

    /// True when there is nothing to say (no item in any list, nothing left out).
    pub fn is_empty(&self) -> bool {
        self.due_today.is_empty()
            && self.overdue.is_empty()
            && self.birthdays.is_empty()
            && self.reconnect.is_empty()
            && self.more == 0
    }

    /// The page of a contact: `{base}/contacts/{id}`.
    pub fn contact_url(links: &Links, id: &str) -> String {
        let id: String = percent_encoding::utf8_percent_encode(id, PATH_SEGMENT).collect();
        format!("{}/contacts/{}", links.base.trim_end_matches('/'), id)
    }

    /// How many items the lists hold (without the ones left out).
    pub fn item_count(&self) -> usize {
        self.due_today.len() + self.overdue.len() + self.birthdays.len() + self.reconnect.len()
    }

    /// The one item of a reminder that has exactly one.
    pub fn only_item(&self) -> Option<&Item> {
        let mut all = self
            .due_today
            .iter()
            .chain(&self.overdue)
            .chain(&self.birthdays)
            .chain(&self.reconnect);
        match (all.next(), all.next(), self.more) {
            (Some(item), None, 0) => Some(item),
            _ => None,
        }
    }

    /// "2 due today, 1 overdue, 1 birthday, 3 to reconnect with".
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if !self.due_today.is_empty() {
            parts.push(format!("{} {}", self.due_today.len(), self.due_words()));
        }
        if !self.overdue.is_empty() {
            parts.push(format!("{} overdue", self.overdue.len()));
        }
        if !self.birthdays.is_empty() {
            parts.push(count_of(
                self.birthdays.len() as u64,
                "birthday",
                "birthdays",
            ));
        }
        if !self.reconnect.is_empty() {
            parts.push(format!("{} to reconnect with", self.reconnect.len()));
        }
        if self.more > 0 {
            parts.push(format!("{} more", self.more));
        }
        if parts.is_empty() {
            "nothing due".to_string()
        } else {
            parts.join(", ")
        }
    }

    /// What `due_today` holds: a weekly digest lists the follow-ups of its whole week.
    fn due_words(&self) -> &'static str {
        match self.kind {
            Kind::Weekly => "due this week",
            _ => "due today",
        }
    }

    /// The non-empty lists, in the order the digest shows them, each item with its link.
    pub fn sections<'a>(&'a self, links: &Links) -> Vec<Section<'a>> {
        let due = match self.kind {
            Kind::Weekly => "Due this week",
            _ => "Due today",
        };
        let lists: [(&'static str, &'a Vec<Item>); 4] = [
            (due, &self.due_today),
            ("Overdue", &self.overdue),
            ("Birthdays this week", &self.birthdays),
            ("Time to reconnect", &self.reconnect),
        ];
        lists
            .into_iter()
            .filter(|(_, items)| !items.is_empty())
            .map(|(title, items)| Section {
                title,
                items: items
                    .iter()
                    .map(|item| LinkedItem {
                        item,
                        url: Reminder::contact_url(links, &item.contact_id),
                    })
                    .collect(),
            })
            .collect()
    }

    /// The first line under the heading of an e-mail.
    pub fn intro(&self) -> String {
        match self.kind {
            Kind::Test => format!(
                "Hello {}, this is a test of your reminders. If you can read it, they reach you.",
                self.username
            ),
            Kind::FollowUpDue => format!("Hello {}, a follow-up is due now.", self.username),
            Kind::Daily if self.is_empty() => {
                format!("Hello {}, nothing is due today.", self.username)
            }
            Kind::Daily => format!("Hello {}, here is what needs you today.", self.username),
            Kind::Weekly if self.is_empty() => {
                format!("Hello {}, nothing is due this week.", self.username)
            }
            Kind::Weekly => format!("Hello {}, here is your week ahead.", self.username),
        }
    }

    /// The heading of an e-mail.
    pub fn heading(&self) -> String {
        match self.kind {
            Kind::Test => "Test reminder".to_string(),
            Kind::FollowUpDue => "Follow-up due".to_string(),
            Kind::Daily => self.date_label.clone(),
            Kind::Weekly => format!("Week from {}", self.date_label),
        }
    }
}

/// The plain-text part of a reminder e-mail.
#[derive(Template)]
#[template(path = "reminders/digest.txt")]
pub struct TextMail<'a> {
    pub heading: String,
    pub intro: String,
    pub sections: Vec<Section<'a>>,
    pub more: usize,
    pub dashboard: String,
    pub username: String,
    pub links: &'a Links,
}

/// The HTML part of a reminder e-mail.
#[derive(Template)]
#[template(path = "reminders/digest.html")]
pub struct HtmlMail<'a> {
    pub subject: String,
    pub heading: String,
    pub intro: String,
    pub sections: Vec<Section<'a>>,
    pub more: usize,
    pub dashboard: String,
    pub username: String,
    pub links: &'a Links,
}

impl Reminder {
    /// The text/plain and text/html bodies of the e-mail.
    pub fn render_mail(&self, links: &Links) -> Result<(String, String), askama::Error> {
        let text = TextMail {
            heading: self.heading(),
            intro: self.intro(),
            sections: self.sections(links),
            more: self.more,
            dashboard: links.dashboard(),
            username: self.username.clone(),
            links,
        }
        .render()?;
        let html = HtmlMail {
            subject: self.subject(),
            heading: self.heading(),
            intro: self.intro(),
            sections: self.sections(links),
            more: self.more,
            dashboard: links.dashboard(),
            username: self.username.clone(),
            links,
        }
        .render()?;
        Ok((text, html))
    }
}

/// `text` on one line (control characters and runs of white space become one space), cut to
/// at most `max` characters with an ellipsis.
pub fn one_line(text: &str, max: usize) -> String {
    let joined = text
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if joined.chars().count() <= max {
        return joined;
    }
    let mut cut: String = joined.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: &str, name: &str) -> Item {
        Item {
            contact_id: id.into(),
            name: name.into(),
            detail: "due today: call".into(),
        }
    }

    fn reminder(kind: Kind) -> Reminder {
        Reminder {
            kind,
            username: "ada".into(),
            date_label: "Monday, December 7".into(),
            due_today: vec![],
            overdue: vec![],
            birthdays: vec![],
            reconnect: vec![],
            more: 0,
        }
    }

    #[test]
    fn the_subject_counts_each_list() {
        let mut r = reminder(Kind::Daily);
        assert_eq!(r.subject(), "Nothing due on Monday, December 7");
        assert!(r.is_empty());
        r.due_today = vec![item("1", "A"), item("2", "B")];
        r.birthdays = vec![item("3", "C")];
        r.more = 4;
        assert_eq!(
            r.subject(),
            "Monday, December 7: 2 due today, 1 birthday, 4 more"
        );
        assert!(!r.is_empty());
    }

    #[test]
    fn a_single_follow_up_is_named_in_one_line() {
        let mut r = reminder(Kind::FollowUpDue);
        r.due_today = vec![item("1", "Ada\r\nBcc: evil@example.com")];
        assert_eq!(r.subject(), "Follow-up due: Ada Bcc: evil@example.com");
    }

    #[test]
    fn contact_links_are_under_the_base() {
        let links = Links {
            base: "https://crm.example.com/".into(),
            unsubscribe: None,
            settings: "https://crm.example.com/settings/reminders".into(),
        };
        assert_eq!(
            Reminder::contact_url(&links, "01J9-abc"),
            "https://crm.example.com/contacts/01J9-abc"
        );
        assert_eq!(
            Reminder::contact_url(&links, "a/b c"),
            "https://crm.example.com/contacts/a%2Fb%20c"
        );
    }

    #[test]
    fn one_line_cuts_long_text() {
        assert_eq!(one_line("a\n b\tc", 10), "a b c");
        assert_eq!(one_line("abcdefghij", 5), "abcd…");
    }
}
