# What goes out by SMS and email, in the organisation's language. SMS are short: keep them so.

# Before every message of a drill, and its subject.
exercise-prefix = EXERCISE: { $text }
# An alert's subject line: the organisation's name.
alert-subject = Beredskap – { $org }
alert-acknowledge-link = Acknowledge: { $link }
# The poll's answers, e.g. "Yes / No".
alert-answer-link = Answer { $options }: { $link }
contact-check-confirm-link = Confirm: { $link }
alert-resolved = RESOLVED: { $message }
alert-cancelled = CANCELLED: { $message }
# A contact check's text when the sender gives none.
contact-check-message = Beredskap is checking that we can reach you in a crisis. Confirm with the link that this reaches you.
sms-reply-acknowledge-help = Beredskap: reply with any text to acknowledge the alert.
sms-reply-options-help = Beredskap: the reply was not understood. Reply { $options } (or 1, 2 …).
sms-reply-ambiguous = Beredskap: you have alerts from several organisations on this number, so the reply could not be matched to any of them. Answer with the link in the alert.
one-time-code-subject = One-time code for Beredskap – { $org }
one-time-code = Your one-time code for Beredskap ({ $org }): { $code }. It is valid for { $minutes } minutes. Did not ask for it? Ignore this message.
enrolment-subject = Activate your Beredskap account – { $org }
enrolment-mail =
    Hello { $name },

    You have an account in Beredskap, { $org }'s system for communication and alerts when the normal IT is down.

    Activate it within { $hours } hours:
    { $link }

    The link works once. If you did not expect this message, ignore it.
enrolment-sms = Beredskap { $org }: activate your account within { $hours } h: { $link }
checkpoint-subject = Beredskap: journal checkpoint – { $org }
checkpoint-mail =
    This is a signed checkpoint of { $org }'s journal in Beredskap. Keep this message where it cannot be changed.

    If the journal is ever questioned: save the text below as a file and run
      beredskap journal verify --checkpoint FILE
    It shows whether the database still holds everything it held when the checkpoint was signed.

    { $json }

# Activating a plan by SMS.
sms-activation-done = { $plan } is activated. The incident: { $link }
sms-activation-refused = No plan was activated: the number, the code or the plan's short name is not right. Write ACTIVATE, the plan's short name and your code.
sms-activation-locked = No plan was activated: too many wrong attempts. Try again in { $minutes } minutes.
report-overdue = { $incident }: the situation report is overdue; it was due at { $due }.
offline-kit-subject = Beredskap: offline kit – { $org }
offline-kit-mail = Here is the offline kit for { $org }: the plans with their action cards, the alarm numbers, the contact list and the state of the services, in one file that opens with no network. Keep it on your phone. It holds private numbers: keep it as sensitive information.

# A press release's template: the communicator edits it before publishing.
press-title = { $org }: { $what }
press-exercise = EXERCISE – this press release is part of an exercise.
press-dateline = { $org }, { $date }
press-what = [Say what has happened, what it means for residents and what { $org } is doing.]
press-affects = Services affected: { $services }
press-reach = How to reach us while the disruption lasts:
press-more = Latest information: { $url }
press-media = Media contact: { $name }

# Subscriptions to the status page's notices (for citizens and partners).
subscription-confirm-subject = Confirm your subscription – { $org }
subscription-confirm = Confirm that you want service notices from { $org }: { $link } Did not ask for this? Do nothing, and the address is forgotten within two days.
notice-mail-subject = { $org }: { $title } – { $phase }
notice-mail-heading = { $title }
    { $phase } · { $when }
notice-mail-more = Latest information: { $url }
notice-mail-footer = You get this because you subscribe to service notices from { $org }. Unsubscribe and delete your details: { $unsubscribe }
notice-sms = { $org }: { $title } – { $phase }. { $url } Unsubscribe: { $unsubscribe }

# An announcement sent out by SMS and email; the link shows all of it.
announcement-subject = Announcement from { $org }
announcement-confirm-link = Confirm you have read it: reply OK or open { $link }
