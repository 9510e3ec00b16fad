# What is wrong with a value, shown next to its field. Each is a code the API sends too
# (error-too-long is too_long); { $max } and the like are the code's values.

error-empty = must not be empty
error-too-long = must be at most { $max } characters
error-control-characters = must not contain control characters
error-one-line = must be one line
error-missing = is missing
error-not-a-number = must be a whole number
error-range = must be { $min } to { $max }
error-not-a-date = must be a date (yyyy-mm-dd)
error-in-the-past = must be in the future
error-too-far-ahead = must be within { $days } days
error-before-start = must be after the start
error-span-too-long = must be at most { $days } days after the start
# The allowed values as they are typed, e.g. "resolved, cancelled".
error-one-of = must be one of: { $choices }
# A technical detail from the parser, for developers.
error-malformed = is not valid: { $detail }
# The reason given by a provider or the browser.
error-rejected = was refused: { $detail }
error-slug-length = must be 2 to 63 characters long
error-slug-start = must start with a letter a-z
error-slug-characters = may contain only lowercase letters a-z, digits and '-', and must not end with '-'
error-not-an-email = is not a valid email address
error-not-a-phone-number = is not a phone number
error-phone-for-country = is not a valid number for its country
error-not-a-region = must be one of SE, DK, NO, FI
error-not-a-time-zone = must be a time zone such as Europe/Stockholm
error-not-a-language = must be a language of Beredskap such as sv
error-not-ascii = must be 1 to { $max } ASCII characters
error-not-an-emoji = must be one emoji or a short word
error-not-utf8 = is not UTF-8 text
error-not-json = must be JSON with Content-Type: application/json
error-not-a-push-address = is not a push address Beredskap can send to
error-file-empty = is empty
error-file-too-large = is larger than { $mb } MB
error-file-type = is not an image, PDF, office document or plain text file
error-unknown-person = is not a person in this organisation
error-unknown-group = is not a group of this organisation
error-unknown-position = is not a position of this organisation
error-unknown-account = is not an account of this organisation
error-unknown-message = is not a message of this channel
error-not-in-register = "{ $name }" is not in the register, or matches more than one person
error-duplicate = is listed twice
error-too-many = at most { $max } may be given
error-count = must name { $min } to { $max }
error-answers = must be empty (acknowledge) or 2 to { $max } answers
error-no-recipients = must name at least one person, group or position
error-no-scope = must name at least one of read, write, admin
error-group-required = a group channel needs the group
error-answer-required = this alert asks for an answer
error-taken = is already taken
error-used-by-another-person = is already used by another person
error-has-account = already has an account
error-other-orgs-number = is another organisation's
error-already-registered = is registered already
error-key-reused = was used for another message
error-deleted = has been deleted
error-not-an-announcement = is not an announcement
error-already-redacted = has already been redacted
error-closed = is closed
error-conflicts-with-existing = conflicts with existing data
error-expired = has expired
error-already-used = has already been used
error-not-redactable = was recorded before redaction was possible and cannot be redacted
error-not-your-upload = is not a file you uploaded, or it is already on a message
error-unreachable = has no verified mobile number or private email address that a configured provider can reach; give the person the link yourself
